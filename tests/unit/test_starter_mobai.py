"""The starter world's "mobai" script: hostile NPCs (behavior 1) notice the nearest living
player within a few tiles and the built-in chase takes over; peaceful ones wander; towns
are safe. Through a real ScriptHooks and the AI tick (PROTOCOL 5.5.3)."""
from __future__ import annotations

from maptools import received, types
from startertools import (BAT, FIELDS, FOREST, MAPS, RAT, SKELETON, TOWN_SQUARE, WOLF, call, hero, npc,
                          starter_map)

from workers.rules import npcs
from workers.runtime import Effects

ANN, BOB, CAT = 1, 2, 3
SLOT = 0
NOTICE_RANGE = 3


def forest(*players, npc_id=WOLF, at=(5, 5), **map_fields):
    """The Old Forest (moral 0) with one NPC at ``at`` and the given (pid, x, y) players."""
    runtime, ctx = starter_map(FOREST, *((pid, hero(f"P{pid}", x, y)) for pid, x, y in players), **map_fields)
    npc(runtime, ctx, SLOT, npc_id, *at)
    return runtime, ctx


def tick_hook(runtime, ctx, target=-1, path=-1):
    result, effects = call(runtime, ctx, "mobai", "genericaiTick", SLOT, target, path)
    assert result == 0, "the default chase or wander always runs"
    return effects


def test_the_starter_npcs_behaviours():
    behaviour = {npc_id: definition["behavior"] for npc_id, definition in enumerate(starter_map(0)[1].npcs)}
    assert {behaviour[n] for n in (WOLF, BAT, SKELETON)} == {1} and behaviour[RAT] == 0


def test_a_wolf_notices_the_nearest_living_player_in_range():
    runtime, ctx = forest((ANN, 8, 5), (BOB, 5, 3), (CAT, 9, 9))  # 3, 2 and 4+4 tiles away
    effects = tick_hook(runtime, ctx)
    assert runtime.aggro[SLOT] == {BOB: 1} and effects.messages == []


def test_nobody_within_range_is_noticed():
    runtime, ctx = forest((ANN, 5 + NOTICE_RANGE + 1, 5), (BOB, 1, 1))
    tick_hook(runtime, ctx)
    assert runtime.aggro[SLOT] == {}
    runtime.players[ANN].record["pos"]["x"] = 5 + NOTICE_RANGE
    tick_hook(runtime, ctx)
    assert runtime.aggro[SLOT] == {ANN: 1}


def test_the_dead_and_the_invisible_are_not_noticed():
    runtime, ctx = forest((ANN, 5, 6), (BOB, 6, 5), (CAT, 7, 7))
    runtime.players[ANN].record["vitals"]["hp"] = 0
    runtime.players[BOB].record["sprite"] = -1  # staff hiding (4.2)
    tick_hook(runtime, ctx)
    assert runtime.aggro[SLOT] == {CAT: 1}


def test_a_monster_already_after_someone_is_left_to_the_chase():
    runtime, ctx = forest((ANN, 5, 6), (BOB, 9, 5))
    runtime.aggro[SLOT] = {BOB: 7}
    tick_hook(runtime, ctx, target=BOB, path=5)
    assert runtime.aggro[SLOT] == {BOB: 7}


def test_peaceful_npcs_notice_no_one():
    runtime, ctx = forest((ANN, 5, 6), npc_id=RAT)
    tick_hook(runtime, ctx)
    assert runtime.aggro[SLOT] == {}


def test_towns_are_safe_from_monsters():
    assert MAPS[TOWN_SQUARE]["moral"] == 2
    runtime, ctx = starter_map(TOWN_SQUARE, (ANN, hero("Ann", 5, 6)))
    npc(runtime, ctx, SLOT, WOLF, 5, 5)
    tick_hook(runtime, ctx)
    assert runtime.aggro[SLOT] == {}
    runtime.aggro[SLOT] = {ANN: 5}  # provoked: it may chase, but it never bites
    _, effects = call(runtime, ctx, "mobai", "genericaiAttack", SLOT, ANN)
    ann = runtime.players[ANN].record
    assert effects.messages == [] and ann["vitals"]["hp"] == ann["max_vitals"]["hp"]


def run_ai(runtime, ctx, ticks: int) -> Effects:
    effects = Effects()
    for _ in range(ticks):
        npcs.tick(runtime, effects, ctx)
        ctx.now_ms += 1000
    assert ctx.hooks.errors == 0
    return effects


def attacks(effects, pid) -> list[str]:
    """The wolf's bites and misses, as the bitten player reads them."""
    return [p["text"] for p in received(effects, pid) if p["type"] == 114 and "Grey Wolf" in p["text"]]


def test_through_the_ai_tick_a_wolf_comes_and_bites():
    runtime, ctx = forest((ANN, 5, 8))  # three tiles south of the wolf
    ann = runtime.players[ANN].record
    ann["max_vitals"]["hp"] = ann["vitals"]["hp"] = 1000  # she outlives the test
    effects = run_ai(runtime, ctx, 12)
    assert runtime.aggro[SLOT] == {ANN: 1}
    wolf = runtime.npcs[SLOT]["pos"]
    assert abs(wolf["x"] - 5) + abs(wolf["y"] - 8) == 1, "it stands next to her"
    bites = attacks(effects, ANN)
    assert bites and all("hit you" in text or "missed you" in text for text in bites)
    hurt = any("hit you" in text for text in bites)
    assert (ann["vitals"]["hp"] < ann["max_vitals"]["hp"]) == hurt and 118 in types(received(effects, ANN))


def test_a_peaceful_rat_next_to_a_player_only_wanders():
    runtime, ctx = forest((ANN, 5, 6), npc_id=RAT)
    effects = run_ai(runtime, ctx, 10)
    assert runtime.aggro[SLOT] == {} and 117 not in types(received(effects, ANN))
    ann = runtime.players[ANN].record
    assert ann["vitals"]["hp"] == ann["max_vitals"]["hp"]


def test_a_monster_does_not_follow_a_player_who_left_the_map():
    runtime, ctx = forest((ANN, 5, 7), (BOB, 0, 11))  # Bob is 5 steps beyond the wolf's sight
    run_ai(runtime, ctx, 1)
    assert runtime.aggro[SLOT] == {ANN: 1}
    runtime.players.pop(ANN)  # through a warp or over an edge: she is on another map now
    effects = run_ai(runtime, ctx, 4)
    assert types(received(effects, BOB)).count(117) == 0 and attacks(effects, BOB) == []
    assert runtime.aggro[SLOT] == {ANN: 1}, "she is remembered, but not chased off the map"


def test_fields_monsters_are_peaceful_so_newcomers_are_safe_there():
    runtime, ctx = starter_map(FIELDS)
    spawned = {npc_id for npc_id in MAPS[FIELDS]["spawn_npc_ids"] if npc_id > -1}
    assert spawned and all(ctx.npcs[npc_id]["behavior"] == 0 for npc_id in spawned)
