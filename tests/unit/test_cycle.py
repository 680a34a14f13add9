"""workers.rules.cycle: one wake-up of a map (PROTOCOL 5.9): tick, event pass, next poke."""
from __future__ import annotations

from maptools import NOW_MS, character, received, runtime_with, set_tile, types
from npctools import RAT, SWORD, put_npc, world

from workers.rules import cycle
from workers.rules.stats import exp_to_level_up
from workers.runtime import Effects

PID = 1


def fields(with_player: bool = True):
    players = [(PID, character("Ann", 5, 5, map_id=2))] if with_player else []
    runtime = runtime_with(*players, map_id=2)
    runtime.record["spawn_npc_ids"][0] = RAT
    return runtime


def test_an_empty_map_is_not_ticked_and_only_its_doors_wake_it():
    runtime, ctx = fields(with_player=False), world()
    effects = Effects()
    cycle.tick(runtime, effects, ctx)
    assert effects.messages == [] and runtime.npcs[0]["npc_id"] == -1
    assert cycle.next_wake_ms(runtime, ctx) is None
    runtime.open_door(3, 3, ctx.now_s, 10)
    assert cycle.next_wake_ms(runtime, ctx) == NOW_MS + 10_000


def test_an_occupied_map_spawns_its_npc_in_the_tick_and_wakes_for_its_ai():
    runtime, ctx = fields(), world()
    effects = Effects()
    cycle.tick(runtime, effects, ctx)
    assert types(received(effects, PID)) == [113, 118] and runtime.npcs[0]["npc_id"] == RAT
    first_thought = runtime.npc_state[0]["next_tick_ms"]
    assert first_thought == NOW_MS + 600
    assert cycle.next_wake_ms(runtime, ctx) == first_thought - 50  # the 50 ms grace of 5.5.3


def test_the_earliest_of_npcs_shots_spawns_and_doors_is_the_next_poke():
    runtime, ctx = fields(), world()
    runtime.record["spawn_npc_ids"][0] = -1
    put_npc(runtime, 3, RAT, 1, 1, next_tick_ms=NOW_MS + 5000)
    runtime.open_door(3, 3, ctx.now_s, 2)
    assert cycle.next_wake_ms(runtime, ctx) == NOW_MS + 2000
    runtime.door_close_at = [-1.0] * len(runtime.door_close_at)
    assert cycle.next_wake_ms(runtime, ctx) == NOW_MS + 5000 - 50


def test_the_event_pass_runs_deaths_before_level_ups_so_a_killing_blow_levels_at_once():
    runtime, ctx = fields(), world()
    ctx.npcs[RAT] = dict(ctx.npcs[RAT], stats=dict(ctx.npcs[RAT]["stats"], spd=-1000),
                         drop_items=[{"item_id": SWORD, "chance": 100, "amount": 1}])
    ctx.professions = [{"name": "Warrior", "vitals": {"hp": 10, "mp": 5, "sp": 5}}]
    put_npc(runtime, 0, RAT, 6, 5, hp=0)
    runtime.aggro[0][PID] = 3
    effects = Effects()
    cycle.event_pass(runtime, effects, ctx)
    got = received(effects, PID)
    assert types(got) == [137, 114, 113, 123, 112, 137, 109, 114]
    assert got[0]["exp"] == exp_to_level_up(1) and got[5]["exp"] == 0
    assert runtime.players[PID].record["level"] == 2


def test_spawn_tiles_are_visited_in_tile_order_and_cached_per_map_record():
    runtime = fields()
    set_tile(runtime, 4, 1, 4, item_id=1, amount=3)
    set_tile(runtime, 2, 9, 6, npc_id=RAT, dir=0)
    set_tile(runtime, 2, 3, 4, item_id=2, amount=1)
    first = cycle.spawn_tiles(runtime)
    assert [(x, y) for x, y, _tile in first] == [(2, 3), (2, 9), (4, 1)]
    assert cycle.spawn_tiles(runtime) is first
    runtime.record = dict(runtime.record)
    assert cycle.spawn_tiles(runtime) is not first


def test_a_dead_player_is_stamped_in_the_event_pass_and_doors_close_after_it():
    runtime, ctx = fields(), world()
    runtime.record["spawn_npc_ids"][0] = -1
    runtime.players[PID].record["vitals"]["hp"] = 0
    runtime.open_door(7, 7, ctx.now_s - 20, 10)
    effects = Effects()
    cycle.event_pass(runtime, effects, ctx)
    assert types(received(effects, PID)) == [114, 123, 122]
    assert "dead" in runtime.players[PID].record["data"]
