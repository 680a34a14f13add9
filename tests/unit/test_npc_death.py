"""workers.rules.npcs: death, exp and drops (PROTOCOL 5.5.2)."""
from __future__ import annotations

import math
import random

import pytest
from maptools import NOW_MS, character, runtime_with, types
from npctools import (GOLD, POTION, RAT, SKELETON, SLIME, put_npc, starter, to_map, world)

from workers.rules import npcs
from workers.runtime import Effects

ALICE, BOB, CAROL = 1, 2, 3


def expected_exp(definition, earners):
    """5.5.2 with true division (the fix of 8.40), computed here independently."""
    stats, hp = definition["stats"], definition["vitals"]["hp"]
    if stats["spd"] < 0:
        total = -stats["spd"]
    else:
        s, d = stats["str"] * 0.5, stats["def"]
        total = math.floor(10 * s + 10 * d + hp * (s / 6 + d / 6))
    if earners > 1:
        total = total * 1.2
    return math.floor(total / earners)


def two_players(**alice_fields):
    return runtime_with((ALICE, character("Alice", 0, 0, **alice_fields)), (BOB, character("Bob", 11, 11)),
                        map_id=4)


def run(rule, runtime, ctx, *args):
    effects = Effects()
    rule(runtime, effects, ctx, *args)
    return effects


# --- death, exp and drops (5.5.2) ---------------------------------------------------------------

def dead_npc(runtime, slot=4, npc_id=RAT, x=5, y=6, **aggro):
    put_npc(runtime, slot, npc_id, x, y, hp=0)
    runtime.aggro[slot] = dict(aggro)


def test_the_rat_example_gives_23_exp():
    assert npcs.kill_exp(starter("npcs")[RAT], 1) == 23 == expected_exp(starter("npcs")[RAT], 1)


def test_a_single_point_of_aggro_earns_exp():
    """8.40: the original counted only aggro > 1."""
    runtime = two_players()
    dead_npc(runtime, **{"x": 5, "y": 6})
    runtime.aggro[4] = {ALICE: 1}
    run(npcs.deaths, runtime, world(npcs=[dict(starter("npcs")[RAT], drop_items=[])]))
    assert runtime.players[ALICE].record["exp"] == 23


@pytest.mark.parametrize("stats, hp", [({"str": 0, "def": 5, "spd": 0}, 12), ({"str": 3, "def": 2, "spd": 0}, 18),
                                       ({"str": 7, "def": 4, "spd": 1}, 33)])
def test_the_exp_formula_uses_true_division(stats, hp):
    """8.40: the original floored D/6; with def 5 and hp 12 that is 50 instead of 60."""
    definition = {"name": "Test", "stats": stats, "vitals": {"hp": hp}}
    assert npcs.kill_exp(definition, 1) == expected_exp(definition, 1)
    if stats["str"] == 0:
        assert npcs.kill_exp(definition, 1) == 60


def test_exp_is_shared_with_the_bonus_and_sent_137_then_114_in_map_order():
    runtime = runtime_with((ALICE, character("Alice", 0, 0, exp=100)), (BOB, character("Bob", 1, 1)),
                           (CAROL, character("Carol", 2, 2)), map_id=4)
    slime = dict(starter("npcs")[SLIME], drop_items=[])
    dead_npc(runtime, npc_id=SLIME)
    runtime.aggro[4] = {BOB: 2, ALICE: 40, CAROL: 0, 77: 5}  # Carol has none; 77 is not on the map
    ctx = world(npcs=[slime, slime])
    effects = run(npcs.deaths, runtime, ctx)
    share = expected_exp(slime, 2)
    assert share == math.floor(math.floor(10 * 1.5 + 10 * 2 + 18 * (1.5 / 6 + 2 / 6)) * 1.2 / 2)
    assert runtime.players[ALICE].record["exp"] == 100 + share
    assert runtime.players[BOB].record["exp"] == share and runtime.players[CAROL].record["exp"] == 0
    assert runtime.changed_players == {ALICE, BOB}
    private = [(pids, packet) for pids, packet in effects.messages if len(pids) == 1]
    assert private == [
        ((ALICE,), {"type": 137, "player_id": ALICE, "exp": 100 + share}),
        ((ALICE,), {"type": 114, "channel_id": 0, "color": "#ffff00", "temp": True,
                    "text": f"You gained {share} exp for defeating Green Slime"}),
        ((BOB,), {"type": 137, "player_id": BOB, "exp": share}),
        ((BOB,), {"type": 114, "channel_id": 0, "color": "#ffff00", "temp": True,
                  "text": f"You gained {share} exp for defeating Green Slime"}),
    ]
    assert types(effects_after_exp(effects)) == [113, 123]


def effects_after_exp(effects):
    return [packet for pids, packet in effects.messages if len(pids) > 1]


def test_a_negative_speed_is_a_fixed_reward():
    skeleton = starter("npcs")[SKELETON]
    assert npcs.kill_exp(skeleton, 1) == 150
    assert npcs.kill_exp(skeleton, 3) == math.floor(150 * 1.2 / 3)


def test_death_clears_the_slot_and_starts_the_respawn_timer():
    runtime = two_players()
    dead_npc(runtime, **{"x": 5, "y": 6})
    runtime.npc_state[4]["data"] = {"quest": 1}
    ctx = world(npcs=[dict(starter("npcs")[RAT], drop_items=[])])
    effects = run(npcs.deaths, runtime, ctx)
    npc = runtime.npcs[4]
    assert npc["npc_id"] == -1 and npc["vitals"]["hp"] <= 0
    state = runtime.npc_state[4]
    assert state["data"] == {} and runtime.aggro[4] == {}
    assert state["respawn_at_ms"] == NOW_MS + starter("npcs")[RAT]["spawn_delay"] * 1000
    assert to_map(effects, runtime) == [{"type": 113, "map_id": 4, "slot_id": 4, "map_npcs": npc},
                                        {"type": 123, "sound_id": 2}]
    assert run(npcs.deaths, runtime, ctx).messages == [], "an empty slot does not die twice"


def test_a_map_slot_respawns_after_the_spawn_delay():
    runtime = two_players()
    runtime.record["spawn_npc_ids"][4] = RAT
    dead_npc(runtime)
    ctx = world(npcs=[dict(starter("npcs")[RAT], drop_items=[])])
    run(npcs.deaths, runtime, ctx)
    due = NOW_MS + starter("npcs")[RAT]["spawn_delay"] * 1000
    assert npcs.next_due_ms(runtime, ctx) == due - 50
    ctx.now_ms = due - 51
    run(npcs.tick, runtime, ctx)
    assert runtime.npcs[4]["npc_id"] == -1
    ctx.now_ms = due - 50
    run(npcs.tick, runtime, ctx)
    assert runtime.npcs[4]["npc_id"] == RAT


def test_drops_land_on_the_npcs_tile_with_full_uses_and_amount_0_as_1():
    runtime = two_players()
    definition = dict(starter("npcs")[RAT], drop_items=[
        {"item_id": GOLD, "chance": 100, "amount": 7},
        {"item_id": POTION, "chance": 0, "amount": 1},  # never
        {"item_id": 99, "chance": 100, "amount": 1},  # not an item: skipped
        {"item_id": 4, "chance": 100, "amount": 0},
    ])
    dead_npc(runtime, x=3, y=9)
    runtime.items[0] = {"item_id": 2, "amount": 1, "uses": 1, "x": 0, "y": 0}
    effects = run(npcs.deaths, runtime, world(npcs=[definition]))
    sword_uses = starter("items")[4]["uses"]
    assert runtime.items[1] == {"item_id": GOLD, "amount": 7, "uses": starter("items")[GOLD]["uses"], "x": 3, "y": 9}
    assert runtime.items[2] == {"item_id": 4, "amount": 1, "uses": sword_uses, "x": 3, "y": 9}
    assert runtime.items[3]["item_id"] == -1
    assert to_map(effects, runtime)[2:] == [
        {"type": 112, "map_id": 4, "slot_id": 1, "map_items": runtime.items[1]},
        {"type": 112, "map_id": 4, "slot_id": 2, "map_items": runtime.items[2]}]


def test_drop_chances_follow_the_seeded_roll():
    definition = dict(starter("npcs")[RAT], drop_items=[{"item_id": GOLD, "chance": 50, "amount": 2}])
    for seed in range(12):
        runtime = two_players()
        dead_npc(runtime)
        run(npcs.deaths, runtime, world(seed=seed, npcs=[definition]))
        dropped = random.Random(seed).randint(1, 100) <= 50
        assert (runtime.items[0]["item_id"] == GOLD) is dropped


def test_no_drop_when_the_map_is_full():
    runtime = two_players()
    runtime.items = [{"item_id": 2, "amount": 1, "uses": 1, "x": 0, "y": 0} for _ in range(200)]
    dead_npc(runtime)
    definition = dict(starter("npcs")[RAT], drop_items=[{"item_id": GOLD, "chance": 100, "amount": 2}])
    effects = run(npcs.deaths, runtime, world(npcs=[definition]))
    assert types(to_map(effects, runtime)) == [113, 123]


def test_a_mobdeath_hook_returning_1_keeps_the_corpse():
    runtime = two_players()
    dead_npc(runtime, **{"x": 5, "y": 6})
    runtime.aggro[4] = {ALICE: 5}
    ctx = world(scripts={"mobdeath": f"def mobdeath_{RAT}(slot):\n    return 1 if slot == 4 else 0\n"
                                     "def genericdeath(slot):\n    return 0\n"})
    for _ in range(2):  # and again on every pass
        assert run(npcs.deaths, runtime, ctx).messages == []
    assert runtime.npcs[4]["npc_id"] == RAT and runtime.aggro[4] == {ALICE: 5}
    assert runtime.players[ALICE].record["exp"] == 0


def test_genericdeath_is_the_fallback_and_0_runs_the_default():
    runtime = two_players()
    dead_npc(runtime)
    ctx = world(scripts={"mobdeath": "def genericdeath(slot):\n    return 1\n"})
    assert run(npcs.deaths, runtime, ctx).messages == [] and runtime.npcs[4]["npc_id"] == RAT
    ctx.hooks.update("mobdeath", f"def mobdeath_{RAT}(slot):\n    return 0\ndef genericdeath(slot):\n    return 1\n")
    run(npcs.deaths, runtime, ctx)
    assert runtime.npcs[4]["npc_id"] == -1


def test_a_dead_npc_whose_type_vanished_is_cleared_without_exp_or_loot():
    runtime = two_players()
    dead_npc(runtime, npc_id=12)
    runtime.aggro[4] = {ALICE: 5}
    effects = run(npcs.deaths, runtime, world())
    assert runtime.npcs[4]["npc_id"] == -1 and runtime.players[ALICE].record["exp"] == 0
    assert types(to_map(effects, runtime)) == [113, 123]
