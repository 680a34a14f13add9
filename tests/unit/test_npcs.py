"""workers.rules.npcs: spawning, death and exp, the AI tick and aggro (PROTOCOL 5.5)."""
from __future__ import annotations

import math
import random

import pytest
from maptools import NOW_MS, character, runtime_with, set_tile, types
from npctools import (GOLD, POTION, RAT, SKELETON, SLIME, WOLF, ask, put_npc, starter, to_map,
                      walls_everywhere_but, world)

from cluster import records
from workers.rules import npcs
from workers.runtime import Effects

STEP = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}
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


# --- map-slot spawns (5.5.1 A) ------------------------------------------------------------------

def test_a_reserved_slot_spawns_at_once_with_113_then_a_118_turn():
    runtime = two_players()
    runtime.record["spawn_npc_ids"][7] = WOLF
    ctx = world(seed=3)
    effects = run(npcs.tick, runtime, ctx)
    wolf = starter("npcs")[WOLF]
    npc = runtime.npcs[7]
    sent = to_map(effects, runtime)
    assert types(sent) == [113, 118]
    assert sent[0] == {"type": 113, "map_id": 4, "slot_id": 7, "map_npcs": npc}
    assert npc["npc_id"] == WOLF and npc["sprite"] == wolf["sprite"] and npc["scale"] == wolf["scale"]
    assert npc["vitals"] == wolf["vitals"] and npc["vitals"] is not wolf["vitals"]
    pos = npc["pos"]
    assert pos["map_id"] == 4 and pos["dir"] in (0, 1, 2, 3)
    assert sent[1] == {"type": 118, "map_id": 4, "slot_id": 7, "x": pos["x"], "y": pos["y"],
                       "dir": pos["dir"], "speed": 0}
    state = runtime.npc_state[7]
    assert state["next_tick_ms"] == NOW_MS + 600 and state["speed_modifier"] == 0 and state["tile"] == ""
    assert runtime.dirty and all(runtime.npcs[slot]["npc_id"] == -1 for slot in range(20) if slot != 7)


def test_a_spawn_clears_the_slots_old_aggro_speed_modifier_and_flags():
    runtime = two_players()
    runtime.record["spawn_npc_ids"][0] = RAT
    runtime.aggro[0] = {ALICE: 9}
    runtime.npc_state[0].update(speed_modifier=250, data={"angry": 1})
    run(npcs.tick, runtime, world())
    assert runtime.aggro[0] == {} and runtime.npc_state[0]["speed_modifier"] == 0
    assert runtime.npc_state[0]["data"] == {}


@pytest.mark.parametrize("respawn_in, spawns", [(51, False), (50, True), (-1000, True)])
def test_a_respawn_is_due_within_the_50_ms_grace(respawn_in, spawns):
    runtime = two_players()
    runtime.record["spawn_npc_ids"][2] = RAT
    runtime.npc_state[2]["respawn_at_ms"] = NOW_MS + respawn_in
    effects = run(npcs.tick, runtime, world())
    assert (runtime.npcs[2]["npc_id"] == RAT) is spawns
    assert bool(effects.messages) is spawns


def test_a_random_spawn_lands_only_on_a_free_tile_of_the_wander_column():
    """8.39: the original ignored occupancy; the only open tile held by a living player is refused."""
    spawned = 0
    for seed in range(40):
        runtime = runtime_with((ALICE, character("Alice", 3, 3)), map_id=4)
        walls_everywhere_but(runtime, (3, 3), (8, 8), (9, 9))
        set_tile(runtime, 9, 9, 6)  # NPC spawn tiles are not in the wander column
        runtime.record["spawn_npc_ids"][0] = RAT
        run(npcs.tick, runtime, world(seed=seed))
        if runtime.npcs[0]["npc_id"] == RAT:
            spawned += 1
            assert (runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]) == (8, 8)
    assert spawned > 0


def test_a_random_spawn_with_no_free_tile_waits_for_the_next_tick():
    alice = character("Alice", 3, 3)
    runtime = runtime_with((ALICE, alice), map_id=4)
    walls_everywhere_but(runtime, (3, 3))
    runtime.record["spawn_npc_ids"][0] = RAT
    ctx = world(seed=5)
    for _ in range(5):
        assert run(npcs.tick, runtime, ctx).messages == []
    assert runtime.npcs[0]["npc_id"] == -1
    alice["vitals"]["hp"] = 0  # only the living occupy a tile
    spawned = False
    for _ in range(20):  # 30 tries of 144 tiles each tick: found within a few ticks
        run(npcs.tick, runtime, ctx)
        spawned = spawned or runtime.npcs[0]["npc_id"] == RAT
    assert spawned and (runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]) == (3, 3)


def test_a_random_spawn_avoids_living_npcs():
    spawned = 0
    for seed in range(40):
        runtime = two_players()
        walls_everywhere_but(runtime, (4, 4), (5, 5))
        put_npc(runtime, 1, SLIME, 4, 4, next_tick_ms=NOW_MS + 10_000)
        runtime.record["spawn_npc_ids"][0] = RAT
        run(npcs.tick, runtime, world(seed=seed))
        if runtime.npcs[0]["npc_id"] == RAT:
            spawned += 1
            assert (runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]) == (5, 5)
    assert spawned > 0


def test_an_unknown_npc_type_or_an_occupied_slot_does_not_spawn():
    runtime = two_players()
    runtime.record["spawn_npc_ids"][0] = 99
    runtime.record["spawn_npc_ids"][1] = RAT
    put_npc(runtime, 1, SLIME, 5, 5, next_tick_ms=NOW_MS + 10_000)
    assert run(npcs.tick, runtime, world()).messages == []
    assert runtime.npcs[0]["npc_id"] == -1 and runtime.npcs[1]["npc_id"] == SLIME


# --- tile spawns (5.5.1 B) ----------------------------------------------------------------------

def spawn_tile_map(npc_id=SLIME, direction=2):
    runtime = two_players()
    set_tile(runtime, 6, 7, 6, npc_id=npc_id, dir=direction)
    return runtime, runtime.tile(6, 7)


def test_a_spawn_tile_fills_the_first_free_unreserved_slot():
    runtime, tile = spawn_tile_map()
    runtime.record["spawn_npc_ids"][0] = RAT  # reserved: skipped even though empty
    put_npc(runtime, 1, RAT, 0, 5)  # taken
    runtime.aggro[2] = {ALICE: 4}
    effects = run(npcs.tile_spawn, runtime, world(), 6, 7, tile)
    npc = runtime.npcs[2]
    assert npc["npc_id"] == SLIME and npc["pos"] == {"x": 6, "y": 7, "dir": 2, "map_id": 4}
    assert npc["vitals"] == starter("npcs")[SLIME]["vitals"]
    assert to_map(effects, runtime) == [{"type": 113, "map_id": 4, "slot_id": 2, "map_npcs": npc}]
    state = runtime.npc_state[2]
    assert state["tile"] == "6:7" and state["next_tick_ms"] == NOW_MS + 600 and runtime.aggro[2] == {}


def test_a_spawn_tile_that_owns_an_npc_spawns_no_other():
    runtime, tile = spawn_tile_map()
    ctx = world()
    run(npcs.tile_spawn, runtime, ctx, 6, 7, tile)
    assert run(npcs.tile_spawn, runtime, ctx, 6, 7, tile).messages == []
    assert sum(npc["npc_id"] == SLIME for npc in runtime.npcs) == 1


@pytest.mark.parametrize("direction", [-1, 7, "2"])
def test_a_spawn_tile_without_a_direction_picks_a_random_one(direction):
    runtime, tile = spawn_tile_map(direction=direction)
    ctx = world(seed=11)
    run(npcs.tile_spawn, runtime, ctx, 6, 7, tile)
    assert runtime.npcs[0]["pos"]["dir"] == random.Random(11).randrange(4)


@pytest.mark.parametrize("npc_id", [99, -1, "1", None])
def test_a_spawn_tile_of_an_unknown_npc_does_nothing(npc_id):
    runtime, tile = spawn_tile_map(npc_id=npc_id)
    assert run(npcs.tile_spawn, runtime, world(), 6, 7, tile).messages == []
    assert all(npc["npc_id"] == -1 for npc in runtime.npcs)


def test_a_tile_spawned_npc_respawns_after_its_spawn_delay():
    """8.39: the original respawned a tile's NPC at once, in the same pass as its death."""
    runtime, tile = spawn_tile_map()
    ctx = world()
    run(npcs.tile_spawn, runtime, ctx, 6, 7, tile)
    runtime.npcs[0]["vitals"]["hp"] = 0
    run(npcs.deaths, runtime, ctx)
    delay_ms = starter("npcs")[SLIME]["spawn_delay"] * 1000
    assert runtime.npc_spawns["6:7"] == NOW_MS + delay_ms and runtime.npc_state[0]["tile"] == ""
    assert run(npcs.tile_spawn, runtime, ctx, 6, 7, tile).messages == []
    ctx.now_ms = NOW_MS + delay_ms - 1
    assert run(npcs.tile_spawn, runtime, ctx, 6, 7, tile).messages == []
    assert npcs.next_due_ms(runtime, ctx) == NOW_MS + delay_ms
    ctx.now_ms = NOW_MS + delay_ms
    effects = run(npcs.tile_spawn, runtime, ctx, 6, 7, tile)
    assert types(to_map(effects, runtime)) == [113] and runtime.npcs[0]["npc_id"] == SLIME


def test_a_stale_ownership_mark_on_an_empty_slot_does_not_stop_the_tile():
    runtime, tile = spawn_tile_map()
    runtime.npc_state[5]["tile"] = "6:7"  # e.g. the slots were reset by a map save
    run(npcs.tile_spawn, runtime, world(), 6, 7, tile)
    assert runtime.npcs[0]["npc_id"] == SLIME and runtime.npc_state[5]["tile"] == ""


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


# --- the AI tick (5.5.3) ------------------------------------------------------------------------

def definition(**fields):
    base = {"name": "Dummy", "sprite": 1, "scale": 1, "vitals": {"hp": 10, "mp": 0, "sp": 0},
            "stats": {"str": 1, "def": 1, "mag": 0, "spd": 0}, "move_chance": 0, "move_amount": 1,
            "move_delay": 100, "pursue_run": False, "spawn_delay": 1, "drop_items": []}
    base.update(fields)
    return base


def chase_ms(d, modifier=0):
    return max(100, int(((600 - 300 * d["pursue_run"]) * d["move_delay"] / 100) / max(d["move_amount"], 1) + modifier))


def wander_ms(d, modifier=0):
    amount = d["move_amount"] if d["move_amount"] > 0 else 1
    return max(200, int((600 * d["move_delay"] / 100) / amount + modifier))


def test_an_npc_that_is_not_due_is_left_alone():
    runtime = two_players()
    put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS + 51)
    ctx = world(npcs=[definition(move_chance=100)])
    assert run(npcs.tick, runtime, ctx).messages == []
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + 51


def test_an_npc_due_within_the_grace_wanders_one_step():
    runtime = two_players()
    put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS + 50)
    d = definition(move_chance=100, move_delay=150, move_amount=2)
    ctx = world(seed=4, npcs=[d])
    replay = random.Random(4)
    assert replay.randint(1, 100) <= 100
    direction = replay.randrange(4)
    effects = run(npcs.tick, runtime, ctx)
    dx, dy = STEP[direction]
    assert to_map(effects, runtime) == [{"type": 118, "map_id": 4, "slot_id": 0, "x": 5, "y": 5,
                                         "dir": direction, "speed": wander_ms(d)}]
    assert runtime.npcs[0]["pos"] == {"x": 5 + dx, "y": 5 + dy, "dir": direction, "map_id": 4}
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + 50 + wander_ms(d)


@pytest.mark.parametrize("fields, modifier", [({"move_delay": 10}, 0), ({"move_delay": 200, "move_amount": 3}, 0),
                                              ({}, 150), ({"move_amount": 0}, -300)])
def test_wander_time_formula_and_its_200_ms_minimum(fields, modifier):
    runtime = two_players()
    put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS, speed_modifier=modifier)
    d = definition(**fields)
    run(npcs.tick, runtime, world(npcs=[d]))
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + wander_ms(d, modifier)


def test_a_wanderer_that_does_not_roll_its_chance_stays():
    for seed in range(10):
        runtime = two_players()
        put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS)
        effects = run(npcs.tick, runtime, world(seed=seed, npcs=[definition(move_chance=40)]))
        moved = random.Random(seed).randint(1, 100) <= 40
        assert bool(effects.messages) is moved
        assert (runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]) != (5, 5) or not moved


def test_a_wanderer_tries_three_directions_rotating_by_one():
    open_direction = 2  # only east is open
    for seed in range(16):
        runtime = two_players()
        walls_everywhere_but(runtime, (0, 0), (11, 11), (5, 5), (6, 5))
        put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS)
        run(npcs.tick, runtime, world(seed=seed, npcs=[definition(move_chance=100)]))
        replay = random.Random(seed)
        replay.randint(1, 100)
        first = replay.randrange(4)
        reaches = open_direction in {(first + turn) % 4 for turn in range(3)}
        assert (runtime.npcs[0]["pos"]["x"] == 6) is reaches


@pytest.mark.parametrize("blocker", ["spawn tile", "npc", "player", "edge"])
def test_a_wanderer_does_not_enter_a_spawn_tile_an_occupied_tile_or_leave_the_map(blocker):
    for seed in range(12):
        runtime = two_players()
        x, y = (0, 5) if blocker == "edge" else (5, 5)
        walls_everywhere_but(runtime, (0, 0), (11, 11), (x, y), (x - 1, y) if x else (x, y))
        if blocker == "spawn tile":
            set_tile(runtime, x - 1, y, 6)
        elif blocker == "npc":
            put_npc(runtime, 1, 0, x - 1, y, next_tick_ms=NOW_MS + 10_000)
        elif blocker == "player":
            runtime.players[BOB].record["pos"].update(x=x - 1, y=y)
        put_npc(runtime, 0, 0, x, y, next_tick_ms=NOW_MS)
        effects = run(npcs.tick, runtime, world(seed=seed, npcs=[definition(move_chance=100)]))
        assert effects.messages == [] and (runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]) == (x, y)


def test_a_wanderer_ignores_directional_flags_and_a_dead_player():
    runtime = two_players()
    walls_everywhere_but(runtime, (0, 0), (11, 11), (5, 5), (4, 5), (6, 5), (5, 4), (5, 6))
    for x, y in ((4, 5), (6, 5), (5, 4), (5, 6)):
        set_tile(runtime, x, y, 2, block_north=True, block_south=True, block_east=True, block_west=True)
    set_tile(runtime, 5, 5, 2, block_north=True, block_south=True, block_east=True, block_west=True)
    runtime.players[BOB].record["pos"].update(x=5, y=6)
    runtime.players[BOB].record["vitals"]["hp"] = 0
    put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS)
    run(npcs.tick, runtime, world(npcs=[definition(move_chance=100)]))
    assert (runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]) != (5, 5)


def chaser(runtime, x=2, y=5, direction=0, next_tick_ms=NOW_MS, **state):
    return put_npc(runtime, 0, 0, x, y, direction=direction, next_tick_ms=next_tick_ms, **state)


@pytest.mark.parametrize("fields, modifier", [({"pursue_run": True}, 0), ({"move_delay": 80}, 25),
                                              ({"move_amount": 4}, 0), ({"pursue_run": True, "move_delay": 10}, 0)])
def test_a_chaser_steps_along_the_path_with_the_chase_time(fields, modifier):
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=6, y=5)
    chaser(runtime, speed_modifier=modifier)
    runtime.aggro[0] = {ALICE: 3}
    d = definition(move_chance=100, **fields)
    effects = run(npcs.tick, runtime, world(npcs=[d]))
    assert to_map(effects, runtime) == [{"type": 118, "map_id": 4, "slot_id": 0, "x": 2, "y": 5, "dir": 2,
                                         "speed": chase_ms(d, modifier)}]
    assert runtime.npcs[0]["pos"] == {"x": 3, "y": 5, "dir": 2, "map_id": 4}
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + chase_ms(d, modifier)


@pytest.mark.parametrize("behind, expected", [(1000, lambda c: NOW_MS + c - 1000), (1001, lambda c: NOW_MS - 1000 + c),
                                              (60_000, lambda c: NOW_MS - 1000 + c)])
def test_a_chaser_that_lags_more_than_a_second_restarts_from_a_second_ago(behind, expected):
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=6, y=5)
    chaser(runtime, next_tick_ms=NOW_MS - behind)
    runtime.aggro[0] = {ALICE: 3}
    d = definition()
    run(npcs.tick, runtime, world(npcs=[d]))
    assert runtime.npc_state[0]["next_tick_ms"] == expected(chase_ms(d))


ATTACK_SCRIPT = ("seen = []\n"
                 "def genericaiAttack(slot, target):\n    seen.append(slot * 1000 + target)\n    return 1\n"
                 "def attacks():\n    return len(seen)\n"
                 "def last():\n    return seen[-1]\n")


def test_an_adjacent_chaser_turns_to_face_then_attacks():
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=2, y=4)  # north of the NPC
    chaser(runtime, direction=0, speed_modifier=40)
    runtime.aggro[0] = {ALICE: 3}
    ctx = world(npcs=[definition(move_chance=100)], scripts={"mobai": ATTACK_SCRIPT})
    effects = run(npcs.tick, runtime, ctx)
    assert to_map(effects, runtime) == [{"type": 118, "map_id": 4, "slot_id": 0, "x": 2, "y": 5, "dir": 3, "speed": 0}]
    assert runtime.npcs[0]["pos"] == {"x": 2, "y": 5, "dir": 3, "map_id": 4}
    assert ask(ctx, "mobai", "attacks") == 1 and ask(ctx, "mobai", "last") == 0 * 1000 + ALICE
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + 1000 + 40, "the return of the attack hook is ignored"
    runtime.npc_state[0]["next_tick_ms"] = NOW_MS
    effects = run(npcs.tick, runtime, ctx)
    assert effects.messages == [] and ask(ctx, "mobai", "attacks") == 2, "already facing: no turn"


def test_an_attack_more_than_a_second_behind_is_rescheduled_to_now():
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=3, y=5)
    chaser(runtime, direction=2, next_tick_ms=NOW_MS - 1001)
    runtime.aggro[0] = {ALICE: 3}
    run(npcs.tick, runtime, world(npcs=[definition()]))
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS


def test_the_attack_hook_of_the_npc_type_comes_first():
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=3, y=5)
    chaser(runtime, direction=2)
    runtime.aggro[0] = {ALICE: 3}
    script = ATTACK_SCRIPT + "other = []\ndef mobaiAttack_0(slot, target):\n    other.append(1)\n" \
                             "def typed():\n    return len(other)\n"
    ctx = world(npcs=[definition()], scripts={"mobai": script})
    run(npcs.tick, runtime, ctx)
    assert ask(ctx, "mobai", "typed") == 1 and ask(ctx, "mobai", "attacks") == 0


def test_the_target_is_the_reachable_player_with_the_most_aggro():
    runtime = runtime_with((ALICE, character("Alice", 9, 9)), (BOB, character("Bob", 2, 9)),
                           (CAROL, character("Carol", 8, 2)), map_id=4)
    for x, y in ((8, 9), (10, 9), (9, 8), (9, 10)):
        set_tile(runtime, x, y, 1)  # Alice is walled in
    chaser(runtime, x=5, y=5)
    runtime.aggro[0] = {ALICE: 50, BOB: 3, CAROL: 7}
    effects = run(npcs.tick, runtime, world(npcs=[definition()]))
    step = to_map(effects, runtime)[0]
    assert (step["x"], step["y"]) == (5, 5)
    x, y = runtime.npcs[0]["pos"]["x"], runtime.npcs[0]["pos"]["y"]
    assert abs(8 - x) + abs(2 - y) == abs(8 - 5) + abs(2 - 5) - 1, "one step closer to Carol"


def test_a_later_entry_with_less_aggro_does_not_replace_the_target():
    runtime = runtime_with((ALICE, character("Alice", 5, 9)), (BOB, character("Bob", 5, 1)), map_id=4)
    chaser(runtime, x=5, y=5)
    runtime.aggro[0] = {ALICE: 7, BOB: 3}
    run(npcs.tick, runtime, world(npcs=[definition()]))
    assert runtime.npcs[0]["pos"] == {"x": 5, "y": 6, "dir": 0, "map_id": 4}, "towards Alice (south)"


@pytest.mark.parametrize("change", ["dead", "sprite", "gone", "zero"])
def test_players_npcs_ignore_are_not_targets(change):
    runtime = two_players()
    alice = runtime.players[ALICE].record
    alice["pos"].update(x=6, y=5)
    chaser(runtime)
    runtime.aggro[0] = {ALICE: 0 if change == "zero" else 3}
    if change == "dead":
        alice["vitals"]["hp"] = 0
    elif change == "sprite":
        alice["sprite"] = -1
    elif change == "gone":
        del runtime.players[ALICE]
    run(npcs.tick, runtime, world(npcs=[definition(move_chance=0)]))
    assert runtime.npcs[0]["pos"]["x"] == 2


TICK_SCRIPT = ("def genericaiTick(slot, target, length):\n"
               "    return 1 if (slot, target, length) == ({slot}, {target}, {length}) else 0\n")


@pytest.mark.parametrize("walled, target, length", [(False, ALICE, 5), (True, ALICE, -1)])
def test_the_tick_hook_gets_slot_target_and_path_length_and_1_overrides(walled, target, length):
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=6, y=5)
    if walled:  # unreachable: the last player examined is still reported, with no path
        for x, y in ((5, 5), (7, 5), (6, 4), (6, 6)):
            set_tile(runtime, x, y, 1)
    chaser(runtime, next_tick_ms=NOW_MS - 30)
    runtime.aggro[0] = {ALICE: 3}
    ctx = world(npcs=[definition(move_chance=100)],
                scripts={"mobai": TICK_SCRIPT.format(slot=0, target=target, length=length)})
    effects = run(npcs.tick, runtime, ctx)
    assert effects.messages == [] and runtime.npcs[0]["pos"]["x"] == 2
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + 100


def test_without_aggro_the_tick_hook_gets_no_target():
    runtime = two_players()
    chaser(runtime)
    ctx = world(npcs=[definition(move_chance=100)], scripts={"mobai": TICK_SCRIPT.format(slot=0, target=-1, length=-1)})
    assert run(npcs.tick, runtime, ctx).messages == []
    assert runtime.npc_state[0]["next_tick_ms"] == NOW_MS + 100


def test_the_tick_hook_of_the_npc_type_comes_first_and_0_runs_the_default():
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=6, y=5)
    chaser(runtime)
    runtime.aggro[0] = {ALICE: 3}
    script = "def mobaiTick_0(slot, target, length):\n    return 0\n" \
             "def genericaiTick(slot, target, length):\n    return 1\n"
    run(npcs.tick, runtime, world(npcs=[definition()], scripts={"mobai": script}))
    assert runtime.npcs[0]["pos"]["x"] == 3


def test_an_npc_whose_definition_vanished_is_left_alone():
    runtime = two_players()
    put_npc(runtime, 0, 5, 4, 4, next_tick_ms=NOW_MS - 10)
    ctx = world(npcs=[definition(move_chance=100)])
    assert run(npcs.tick, runtime, ctx).messages == []
    assert npcs.next_due_ms(runtime, ctx) is None


def test_a_blocked_path_falls_back_to_wandering():
    runtime = two_players()
    runtime.players[ALICE].record["pos"].update(x=6, y=5)
    walls_everywhere_but(runtime, (0, 0), (11, 11), (2, 5), (3, 5), (4, 5), (5, 5), (6, 5))
    put_npc(runtime, 1, 0, 4, 5, next_tick_ms=NOW_MS + 10_000)  # another NPC in the corridor
    chaser(runtime)
    runtime.aggro[0] = {ALICE: 3}
    d = definition(move_chance=0)
    run(npcs.tick, runtime, world(npcs=[d]))
    assert runtime.npcs[0]["pos"]["x"] == 2 and runtime.npc_state[0]["next_tick_ms"] == NOW_MS + wander_ms(d)


# --- scheduling and aggro -----------------------------------------------------------------------

def test_next_due_is_the_earliest_tick_or_respawn():
    runtime = two_players()
    ctx = world(npcs=[definition(), definition()])
    assert npcs.next_due_ms(runtime, ctx) is None
    put_npc(runtime, 0, 0, 1, 1, next_tick_ms=NOW_MS + 900)
    put_npc(runtime, 1, 1, 2, 2, next_tick_ms=NOW_MS + 700)
    assert npcs.next_due_ms(runtime, ctx) == NOW_MS + 650
    runtime.record["spawn_npc_ids"][5] = 1
    runtime.npc_state[5]["respawn_at_ms"] = NOW_MS + 400
    assert npcs.next_due_ms(runtime, ctx) == NOW_MS + 350
    runtime.npc_spawns["3:3"] = NOW_MS + 100
    runtime.npc_spawns["4:4"] = NOW_MS - 100  # passed: not a wake-up of its own
    assert npcs.next_due_ms(runtime, ctx) == NOW_MS + 100


def test_set_and_add_aggro():
    runtime = two_players()
    npcs.set_aggro(runtime, 3, ALICE, 5)
    npcs.add_aggro(runtime, 3, ALICE, 2)
    npcs.add_aggro(runtime, 3, BOB, 4)
    assert runtime.aggro[3] == {ALICE: 7, BOB: 4} and runtime.dirty
    npcs.add_aggro(runtime, 3, BOB, -4)
    npcs.set_aggro(runtime, 3, ALICE, 0)
    assert runtime.aggro[3] == {}


@pytest.mark.parametrize("slot, pid, amount", [(20, 1, 5), (-1, 1, 5), ("3", 1, 5), (3, "1", 5), (3, 1, 5.0),
                                               (3, 1, True), (True, 1, 5), (None, 1, 5)])
def test_bad_aggro_input_is_ignored(slot, pid, amount):
    runtime = two_players()
    npcs.set_aggro(runtime, slot, pid, amount)
    npcs.add_aggro(runtime, slot, pid, amount)
    assert all(table == {} for table in runtime.aggro) and not runtime.dirty


def test_spawn_npc_refuses_bad_input():
    runtime = two_players()
    ctx = world()
    for args in ((20, RAT, 1, 1), (0, 99, 1, 1), (0, RAT, 12, 1), (0, RAT, 1, -1), (0, "0", 1, 1)):
        assert npcs.spawn_npc(runtime, Effects(), ctx, *args) is False
    assert runtime.npcs == [records.empty_npc_slot() for _ in range(20)]
    assert npcs.spawn_npc(runtime, Effects(), ctx, 0, RAT, 1, 1, 3) is True
    assert runtime.npcs[0]["pos"]["dir"] == 3
