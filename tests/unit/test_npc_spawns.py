"""workers.rules.npcs: map-slot and tile spawns (PROTOCOL 5.5.1)."""
from __future__ import annotations

import random

import pytest
from maptools import NOW_MS, character, runtime_with, set_tile, types
from npctools import (RAT, SLIME, WOLF, put_npc, starter, to_map, walls_everywhere_but, world)

from workers.rules import npcs
from workers.runtime import Effects

ALICE, BOB, CAROL = 1, 2, 3



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
