"""workers.rules.projectiles: firing, 150 ms steps, hit checks and removal (PROTOCOL 5.10)."""
from __future__ import annotations

import pytest
from maptools import NOW_MS, character, runtime_with, set_tile, types
from npctools import ARMOUR, ARROW, BOW, GOLD, SWORD, ask, put_npc, starter, to_map, world

from cluster import records
from workers.rules import projectiles
from workers.runtime import Effects

ALICE, BOB = 1, 2
PLAYER, NPC = 1, 2
STAFF, ARCANE_BOLT = 6, 17  # Oak Staff (a caster: tile_range 0), the spell it fires (tile_range 5)

# Records every hit check as numbers: kind (1 player, 2 NPC), the target, then the shot's arguments.
RECORDER = """
seen = []
answer = {answer}
def {player_hook}(target, shooter_type, shooter_id, x, y, item_id, direction):
    seen.append([1, target, shooter_type, shooter_id, x, y, item_id, direction, target["name"] == "Alice"])
    return answer
def {npc_hook}(slot, shooter_type, shooter_id, x, y, item_id, direction):
    seen.append([2, slot, shooter_type, shooter_id, x, y, item_id, direction, True])
    return answer
def count():
    return len(seen)
def field(index, column):
    return seen[index][column]
"""
GENERIC = """
seen = []
answer = {answer}
def hitgeneric(kind, target, shooter_type, shooter_id, x, y, item_id, direction):
    named = kind == 2 or target["name"] == "Alice"
    seen.append([kind, target, shooter_type, shooter_id, x, y, item_id, direction, named])
    return answer
def count():
    return len(seen)
def field(index, column):
    return seen[index][column]
"""


def recorded(ctx) -> list[list]:
    return [[ask(ctx, "projectile", "field", row, column) for column in range(9)]
            for row in range(ask(ctx, "projectile", "count"))]


def scene(alice_at=(0, 0), weapon=-1):
    alice = character("Alice", *alice_at)
    alice["inv"][0] = {"item_id": weapon, "amount": 1 if weapon >= 0 else 0, "uses": 1}
    runtime = runtime_with((ALICE, alice), (BOB, character("Bob", 11, 11)), map_id=6)
    return runtime, alice


def fire(runtime, ctx, shooter_type=NPC, shooter_id=3, x=2, y=5, direction=2, item_id=ARROW):
    effects = Effects()
    slot = projectiles.fire(runtime, effects, ctx, shooter_type, shooter_id, x, y, direction, item_id)
    return slot, effects


def tick_at(runtime, ctx, now_ms):
    ctx.now_ms = now_ms
    effects = Effects()
    projectiles.tick(runtime, effects, ctx)
    return to_map(effects, runtime)


# --- firing -------------------------------------------------------------------------------------

def test_an_npc_shot_takes_the_first_free_slot_and_sends_126_then_117():
    runtime, _ = scene()
    runtime.shots[0] = {"shooter_type": 1, "shooter_id": 9, "item_id": ARROW, "pos": records.position()}
    runtime.shot_state[0]["next_tick_ms"] = NOW_MS + 10_000
    ctx = world()
    slot, effects = fire(runtime, ctx)
    assert slot == 1
    shot = runtime.shots[1]
    assert shot == {"shooter_type": NPC, "shooter_id": 3, "item_id": ARROW,
                    "pos": {"x": 2, "y": 5, "dir": 2, "map_id": 6}}
    assert to_map(effects, runtime) == [{"type": 126, "map_id": 6, "slot_id": 1, "map_shots": shot},
                                        {"type": 117, "map_id": 6, "slot_id": 3, "speed": 1000}]
    arrow_range = starter("items")[ARROW]["data"]["tile_range"]
    assert runtime.shot_state[1] == {"next_tick_ms": NOW_MS + 150, "moves_left": arrow_range, "x": 2, "y": 5, "dir": 2}
    assert runtime.dirty
    assert projectiles.next_due_ms(runtime) == NOW_MS + 150, "the step timer is set (6.3 [BUG])"


def test_a_player_shot_sends_126_then_116():
    runtime, _ = scene()
    slot, effects = fire(runtime, world(), PLAYER, ALICE, 0, 0, 0)
    assert slot == 0
    assert types(to_map(effects, runtime)) == [126, 116]
    assert to_map(effects, runtime)[1] == {"type": 116, "player_id": ALICE, "speed": 1000}


@pytest.mark.parametrize("weapon, item_id, expected", [
    (-1, ARROW, 7),  # nothing in the weapon slot: the arrow's own range
    (BOW, ARROW, 6),  # a bow in slot 0 gives its range to the arrow
    (BOW, BOW, 6),  # the shot item itself
    (STAFF, ARCANE_BOLT, 5),  # a staff has no range: its bolt flies its own
    (SWORD, ARROW, 7),  # a weapon without a range leaves the arrow's
    (99, ARROW, 7),  # an unknown item in the slot
])
def test_a_players_range_comes_from_the_launcher_in_weapon_slot_0(weapon, item_id, expected):
    runtime, _ = scene(weapon=weapon)
    slot, _ = fire(runtime, world(), PLAYER, ALICE, item_id=item_id)
    assert runtime.shot_state[slot]["moves_left"] == expected


def test_slot_1_armour_does_not_set_the_range():
    runtime, alice = scene()
    alice["inv"][1] = {"item_id": BOW, "amount": 1, "uses": 1}  # 5.10's "slot 1" holds armour
    slot, _ = fire(runtime, world(), PLAYER, ALICE, item_id=ARROW)
    assert runtime.shot_state[slot]["moves_left"] == 7
    alice["inv"][1] = {"item_id": ARMOUR, "amount": 1, "uses": 1}
    slot, _ = fire(runtime, world(), PLAYER, ALICE, item_id=ARROW)
    assert runtime.shot_state[slot]["moves_left"] == 7


def test_an_npc_shot_ignores_launchers():
    runtime, _ = scene(weapon=BOW)
    slot, _ = fire(runtime, world(), NPC, ALICE, item_id=ARROW)
    assert runtime.shot_state[slot]["moves_left"] == 7


def test_no_range_means_no_shot():
    runtime, _ = scene()
    slot, effects = fire(runtime, world(), item_id=GOLD)
    assert slot == -1 and effects.messages == [] and not runtime.dirty


def test_no_shot_when_all_50_slots_are_in_flight():
    runtime, _ = scene()
    ctx = world()
    assert [fire(runtime, ctx)[0] for _ in range(50)] == list(range(50))
    assert fire(runtime, ctx) == (-1, Effects())


@pytest.mark.parametrize("args", [
    (0, 3, 2, 5, 2, ARROW), (3, 3, 2, 5, 2, ARROW), (True, 3, 2, 5, 2, ARROW),
    (PLAYER, 77, 2, 5, 2, ARROW),  # not on this map
    (NPC, 20, 2, 5, 2, ARROW), (NPC, -1, 2, 5, 2, ARROW), (NPC, "3", 2, 5, 2, ARROW),
    (NPC, 3, 12, 5, 2, ARROW), (NPC, 3, 2, -1, 2, ARROW), (NPC, 3, 2.0, 5, 2, ARROW),
    (NPC, 3, 2, 5, 4, ARROW), (NPC, 3, 2, 5, True, ARROW), (NPC, 3, 2, 5, 2, 99), (NPC, 3, 2, 5, 2, "13"),
])
def test_bad_arguments_fire_nothing(args):
    runtime, _ = scene()
    effects = Effects()
    assert projectiles.fire(runtime, effects, world(), *args) == -1
    assert effects.messages == [] and runtime.shots == [records.empty_shot() for _ in range(50)]


# --- flight -------------------------------------------------------------------------------------

def test_a_shot_steps_every_150_ms_and_keeps_its_start_tile_in_pos():
    runtime, _ = scene()
    ctx = world()
    slot, _ = fire(runtime, ctx)
    assert tick_at(runtime, ctx, NOW_MS + 149) == []
    assert tick_at(runtime, ctx, NOW_MS + 150) == [
        {"type": 127, "map_id": 6, "slot_id": slot, "x": 3, "y": 5, "dir": 2, "speed": 150}]
    assert runtime.shots[slot]["pos"] == {"x": 2, "y": 5, "dir": 2, "map_id": 6}, "QUIRK kept"
    assert runtime.shot_state[slot]["next_tick_ms"] == NOW_MS + 300
    assert projectiles.next_due_ms(runtime) == NOW_MS + 300
    assert tick_at(runtime, ctx, NOW_MS + 299) == []
    assert [p["x"] for p in tick_at(runtime, ctx, NOW_MS + 300)] == [4]


def test_a_late_tick_catches_up_every_step_that_is_due():
    runtime, _ = scene()
    ctx = world()
    fire(runtime, ctx)
    sent = tick_at(runtime, ctx, NOW_MS + 470)
    assert [(p["type"], p["x"]) for p in sent] == [(127, 3), (127, 4), (127, 5)]
    assert runtime.shot_state[0]["next_tick_ms"] == NOW_MS + 600


@pytest.mark.parametrize("tile_range", [1, 3, 5])
def test_with_range_r_tiles_1_to_r_are_checked_and_the_shot_ends_on_r(tile_range):
    runtime, _ = scene()
    ctx = world(scripts={"projectile": RECORDER.format(answer=0, player_hook="hitplayer", npc_hook="hitnpc")})
    ctx.items[ARROW] = dict(ctx.items[ARROW], data={"tile_range": tile_range})
    for pid, x in zip(range(10, 17), range(3, 10)):  # a player on every tile of the flight
        runtime.players[pid] = type(runtime.players[ALICE])(pid, [0, 0], character(f"P{pid}", x, 5))
    slot, _ = fire(runtime, ctx)
    sent = []
    for step in range(1, 10):
        sent += tick_at(runtime, ctx, NOW_MS + 150 * step)
    assert [row[4] for row in recorded(ctx)] == list(range(3, 3 + tile_range))
    assert [p["x"] for p in sent if p["type"] == 127] == list(range(3, 3 + tile_range - 1))
    assert sent[-1] == {"type": 126, "map_id": 6, "slot_id": slot, "map_shots": records.empty_shot()}
    assert runtime.shots[slot] == records.empty_shot() and runtime.shot_state[slot] == records.shot_state()
    assert projectiles.next_due_ms(runtime) is None


def test_a_shot_leaving_the_map_is_removed():
    runtime, _ = scene()
    ctx = world()
    slot, _ = fire(runtime, ctx, x=10, direction=2)
    assert types(tick_at(runtime, ctx, NOW_MS + 150)) == [127]
    assert tick_at(runtime, ctx, NOW_MS + 300) == [
        {"type": 126, "map_id": 6, "slot_id": slot, "map_shots": records.empty_shot()}]
    assert projectiles.fire(runtime, Effects(), ctx, NPC, 3, 1, 1, 0, ARROW) == slot, "the slot is free again"


@pytest.mark.parametrize("block_ranged, stops", [(True, True), (False, False)])
def test_a_ranged_blocking_wall_stops_the_shot_before_any_hook(block_ranged, stops):
    runtime, _ = scene(alice_at=(4, 5))
    set_tile(runtime, 4, 5, 1, block_ranged=block_ranged)
    ctx = world(scripts={"projectile": RECORDER.format(answer=1, player_hook="hitplayer", npc_hook="hitnpc")})
    fire(runtime, ctx)
    tick_at(runtime, ctx, NOW_MS + 150)
    sent = tick_at(runtime, ctx, NOW_MS + 300)
    assert types(sent) == [126]
    assert ask(ctx, "projectile", "count") == (0 if stops else 1)


def test_without_scripts_a_shot_passes_players_and_npcs():
    runtime, _ = scene(alice_at=(3, 5))
    put_npc(runtime, 0, 0, 4, 5)
    ctx = world()
    fire(runtime, ctx)
    sent = tick_at(runtime, ctx, NOW_MS + 300)
    assert [(p["type"], p["x"]) for p in sent] == [(127, 3), (127, 4)]


def test_hitplayer_gets_the_player_as_id_and_record_and_1_stops_the_shot():
    runtime, alice = scene(alice_at=(3, 5))
    alice["vitals"]["hp"] = 0  # dead players are checked too
    put_npc(runtime, 4, 0, 3, 5)
    ctx = world(scripts={"projectile": RECORDER.format(answer=1, player_hook="hitplayer", npc_hook="hitnpc")})
    slot, _ = fire(runtime, ctx, shooter_id=7)
    sent = tick_at(runtime, ctx, NOW_MS + 150)
    assert recorded(ctx) == [[1, ALICE, NPC, 7, 3, 5, ARROW, 2, True]], "the NPC behind her is not checked"
    assert sent == [{"type": 126, "map_id": 6, "slot_id": slot, "map_shots": records.empty_shot()}]


def test_hitnpc_checks_each_living_npc_on_the_tile():
    runtime, _ = scene(alice_at=(3, 5))
    put_npc(runtime, 2, 0, 3, 5)
    put_npc(runtime, 5, 0, 3, 5, hp=0)  # dead: not checked
    put_npc(runtime, 9, 0, 3, 5)
    ctx = world(scripts={"projectile": RECORDER.format(answer=0, player_hook="hitplayer", npc_hook="hitnpc")})
    fire(runtime, ctx, PLAYER, ALICE, 2, 5, 2)
    sent = tick_at(runtime, ctx, NOW_MS + 150)
    assert recorded(ctx) == [[1, ALICE, PLAYER, ALICE, 3, 5, ARROW, 2, True],
                             [2, 2, PLAYER, ALICE, 3, 5, ARROW, 2, True],
                             [2, 9, PLAYER, ALICE, 3, 5, ARROW, 2, True]]
    assert types(sent) == [127], "0 is no hit"


def test_hitgeneric_is_the_fallback_with_the_kind_first():
    runtime, _ = scene(alice_at=(3, 5))
    put_npc(runtime, 2, 0, 4, 5)
    ctx = world(scripts={"projectile": GENERIC.format(answer=0)})
    fire(runtime, ctx, shooter_id=11, direction=2)
    tick_at(runtime, ctx, NOW_MS + 300)
    assert recorded(ctx) == [[1, ALICE, NPC, 11, 3, 5, ARROW, 2, True], [2, 2, NPC, 11, 4, 5, ARROW, 2, True]]


def test_an_npc_hit_stops_the_shot():
    runtime, _ = scene()
    put_npc(runtime, 2, 0, 2, 3)
    ctx = world(scripts={"projectile": GENERIC.format(answer=1)})
    slot, _ = fire(runtime, ctx, x=2, y=5, direction=3)
    assert types(tick_at(runtime, ctx, NOW_MS + 150)) == [127]
    assert tick_at(runtime, ctx, NOW_MS + 300) == [
        {"type": 126, "map_id": 6, "slot_id": slot, "map_shots": records.empty_shot()}]


def test_an_unreadable_shot_state_is_removed():
    runtime, _ = scene()
    ctx = world()
    slot, _ = fire(runtime, ctx)
    runtime.shot_state[slot]["dir"] = 9
    assert types(tick_at(runtime, ctx, NOW_MS + 150)) == [126]
    assert runtime.shots[slot] == records.empty_shot()


def test_next_due_is_the_earliest_shot():
    runtime, _ = scene()
    ctx = world()
    assert projectiles.next_due_ms(runtime) is None
    fire(runtime, ctx)
    ctx.now_ms = NOW_MS - 100
    fire(runtime, ctx)
    assert projectiles.next_due_ms(runtime) == NOW_MS + 50
