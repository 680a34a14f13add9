"""workers.rules.npcs: the AI tick (PROTOCOL 5.5.3), scheduling and aggro."""
from __future__ import annotations

import random

import pytest
from maptools import NOW_MS, character, runtime_with, set_tile
from npctools import (RAT, ask, put_npc, to_map, walls_everywhere_but, world)

from cluster import records
from workers.rules import npcs
from workers.runtime import Effects

STEP = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}
ALICE, BOB, CAROL = 1, 2, 3



def two_players(**alice_fields):
    return runtime_with((ALICE, character("Alice", 0, 0, **alice_fields)), (BOB, character("Bob", 11, 11)),
                        map_id=4)


def run(rule, runtime, ctx, *args):
    effects = Effects()
    rule(runtime, effects, ctx, *args)
    return effects


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
