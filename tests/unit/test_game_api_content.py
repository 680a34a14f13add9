"""The ``game`` API's extensions of PROTOCOL 6.3 for the starter world's content
(scripting/api.py "Our additions"): the quest log, item data and the map's moral,
through a real ScriptHooks."""
from __future__ import annotations

import json

import pytest
from maptools import character, runtime_with
from scripttools import run, world_context

from scripting.api_players import QUEST_LOG_LIMIT
from scripting.returns import NOT_RUN

ANN, BOB = 1, 2
HEALING_POTION, OAK_STAFF, ARCANE_BOLT, STICK = 2, 6, 17, 0  # items.json


def setup(**map_fields):
    ctx = world_context()
    runtime = runtime_with((ANN, character("Ann", 5, 5)), (BOB, character("Bob", 5, 6)), map_id=3)
    runtime.record.update(map_fields)
    return runtime, ctx, runtime.players[ANN].record


def read(runtime, ctx, expression):
    """The value of ``expression`` in a hook, carried out through a map flag."""
    _, _, hooks = run(runtime, ctx, f"game.setMapFlag('out', {expression})")
    assert hooks.errors == 0
    return runtime.flags["out"]


# --- quest log ---------------------------------------------------------------------------------

def test_a_new_character_has_done_no_quest():
    runtime, ctx, ann = setup()
    assert ann["quest_log"] == [False] * 10
    assert read(runtime, ctx, "[game.getPlayerQuestDone(1, i) for i in (0, 9, 10, 99)]") == [False] * 4


def test_set_quest_done_writes_the_record_and_marks_it_for_the_checkpoint():
    runtime, ctx, ann = setup()
    _, effects, _ = run(runtime, ctx, "game.setPlayerQuestDone(1, 1, True)\nreturn game.getPlayerQuestDone(1, 1)")
    assert ann["quest_log"] == [False, True] + [False] * 8
    assert ANN in runtime.changed_players and effects.messages == [], "no packet: the log is in the next 109"
    assert json.loads(json.dumps(ann))["quest_log"][1] is True, "a plain JSON value, as storage keeps it"
    run(runtime, ctx, "game.setPlayerQuestDone(1, 1, False)")
    assert ann["quest_log"][1] is False


def test_the_log_grows_up_to_the_index_and_the_done_argument_defaults_to_true():
    runtime, ctx, ann = setup()
    ann["quest_log"] = [0]  # what the original's template stored (4.2 [BUG])
    assert read(runtime, ctx, "game.getPlayerQuestDone(1, 0)") is False
    run(runtime, ctx, "game.setPlayerQuestDone(1, 12)")
    assert ann["quest_log"] == [0] + [False] * 11 + [True]
    ann["quest_log"] = "garbage"
    run(runtime, ctx, "game.setPlayerQuestDone(1, 2, 1)")
    assert ann["quest_log"] == [False, False, True]


def test_quest_helpers_on_a_player_not_on_this_map_do_nothing():
    runtime, ctx, ann = setup()
    assert read(runtime, ctx, "game.getPlayerQuestDone(99, 0)") is False
    run(runtime, ctx, "game.setPlayerQuestDone(99, 0)")
    assert runtime.changed_players == set()


@pytest.mark.parametrize("call", [
    "game.getPlayerQuestDone(1, '0')", "game.getPlayerQuestDone(1, -1)", "game.getPlayerQuestDone(1, True)",
    f"game.getPlayerQuestDone(1, {QUEST_LOG_LIMIT})", "game.setPlayerQuestDone(1, 0.0, True)",
    f"game.setPlayerQuestDone(1, {QUEST_LOG_LIMIT}, True)", "game.setPlayerQuestDone(1, 0, 'yes')",
    "game.setPlayerQuestDone('1', 0, True)",
])
def test_bad_quest_arguments_raise_and_change_nothing(call):
    runtime, ctx, ann = setup()
    result, effects, hooks = run(runtime, ctx, f"game.sendToAllOnMap(game.genPlaySound(1))\nreturn {call}")
    assert result is NOT_RUN and hooks.errors == 1 and effects.messages == []
    assert ann["quest_log"] == [False] * 10 and runtime.changed_players == set()


# --- item data and the map's moral -------------------------------------------------------------------

def test_item_data_reads_content_fields_and_copies():
    runtime, ctx, _ = setup()
    got = read(runtime, ctx, f"[game.getItemData({HEALING_POTION}, 'heal_hp'), game.getItemData({OAK_STAFF}, 'spell'),"
                             f" game.getItemData({ARCANE_BOLT}, 'mp_cost'), game.getItemData({STICK}, 'heal_hp'),"
                             f" game.getItemData(999, 'heal_hp'), game.getItemData(-1, 'spell')]")
    assert got == [ctx.items[HEALING_POTION]["data"]["heal_hp"], ARCANE_BOLT,
                   ctx.items[ARCANE_BOLT]["data"]["mp_cost"], None, None, None]
    ctx.items[STICK]["data"]["runes"] = ["a"]
    run(runtime, ctx, f"game.getItemData({STICK}, 'runes').append('b')")
    assert ctx.items[STICK]["data"]["runes"] == ["a"]


@pytest.mark.parametrize("call", ["game.getItemData('2', 'heal_hp')", "game.getItemData(2, None)",
                                  "game.getItemData(2, 'k' * 65)"])
def test_bad_item_data_arguments_raise(call):
    runtime, ctx, _ = setup()
    result, _, hooks = run(runtime, ctx, f"return {call}")
    assert result is NOT_RUN and hooks.errors == 1


@pytest.mark.parametrize("moral, seen", [(2, 2), (1, 1), (0, 0), (3, 3), ("2", 0), (None, 0)])
def test_map_moral(moral, seen):
    runtime, ctx, _ = setup(moral=moral)
    assert read(runtime, ctx, "game.getMapMoral()") == seen
