"""workers.rules.stats: training (type 8), the max-vitals and exp formulas of PROTOCOL 5.6."""
from __future__ import annotations

import pytest
from maptools import character, context, received, runtime_with, types

from workers.rules.stats import exp_to_level_up, handle_train, max_vitals
from workers.runtime import Effects

PID = 1
BASE = {"hp": 20, "mp": 10, "sp": 8}


@pytest.mark.parametrize("level, needed", [(1, 1000), (2, 2027), (3, 3100), (5, 5418), (10, 12589),
                                           (20, 36411), (50, 353553), (100, 10000000)])
def test_exp_to_level_up_matches_the_protocols_examples(level, needed):
    assert exp_to_level_up(level) == needed


def test_max_vitals_formula():
    stats = {"str": 3, "def": 2, "mag": 4, "spd": 1}
    assert max_vitals(BASE, stats) == {"hp": 20 + 4.5 + 6 + 4 + 2, "mp": 14, "sp": 10}


def trainee(points: int = 2):
    record = character("Tess", 5, 5, profession_id=0, train_points=points)
    record["vitals"] = {"hp": 7, "mp": 3, "sp": 2}
    return runtime_with((PID, record)), record


def train(runtime, stat_id) -> Effects:
    effects = Effects()
    ctx = context()
    ctx.professions = [{"name": "Warrior", "vitals": BASE}]
    handle_train(runtime, effects, PID, {"type": 8, "stat_id": stat_id}, ctx)
    return effects


def test_training_spends_a_point_raises_the_stat_and_reloads_the_character():
    runtime, record = trainee()
    effects = train(runtime, 1)
    assert record["train_points"] == 1 and record["stats"]["def"] == 1
    assert record["max_vitals"] == {"hp": 23, "mp": 10, "sp": 8}
    assert record["vitals"] == {"hp": 7, "mp": 3, "sp": 2}, "current vitals are not changed"
    got = received(effects, PID)
    assert types(got) == [109] and got[0]["player"]["data"] == [] and got[0]["player_id"] == PID


@pytest.mark.parametrize("stat_id", [-1, 4, "0", 1.0, True, None])
def test_a_bad_stat_id_does_nothing(stat_id):
    runtime, record = trainee()
    assert train(runtime, stat_id).messages == [] and record["train_points"] == 2


def test_without_train_points_nothing_happens():
    runtime, record = trainee(points=0)
    assert train(runtime, 0).messages == [] and record["stats"]["str"] == 0
