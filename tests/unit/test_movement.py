"""workers.rules.movement: type 6 (PROTOCOL 5.1), authoritative."""
from __future__ import annotations

import pytest

from maptools import NOW_MS, character, context, received, runtime_with, set_tile, types
from workers.rules.movement import handle_move
from workers.runtime import Effects

STEP = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}  # PROTOCOL 0.3
SIDE = {0: "south", 1: "west", 2: "east", 3: "north"}
OPPOSITE = {0: 3, 1: 2, 2: 1, 3: 0}
MOVER, OTHER, THIRD = 1, 2, 3


def setup(x=5, y=5, access=0, hp=10, **map_fields):
    mover = character("Mover", x, y, access=access)
    mover["vitals"]["hp"] = hp
    runtime = runtime_with((MOVER, mover), (OTHER, character("Other", 0, 0)), (THIRD, character("Third", 11, 11)))
    runtime.record.update(map_fields)
    return runtime, mover


def move(runtime, packet, ctx=None):
    effects = Effects()
    handle_move(runtime, effects, MOVER, {"type": 6, **packet}, ctx or context())
    return effects


def step(runtime, direction, x=None, y=None, speed=250, ctx=None):
    pos = runtime.players[MOVER].record["pos"]
    return move(runtime, {"x": pos["x"] if x is None else x, "y": pos["y"] if y is None else y,
                          "dir": direction, "speed": speed}, ctx)


def where(runtime):
    pos = runtime.players[MOVER].record["pos"]
    return pos["x"], pos["y"]


def assert_bounced(runtime, effects, at):
    """The mover gets its own 110 at the stored tile and nothing else happens."""
    mine = received(effects, MOVER)
    assert types(mine) == [110]
    assert mine[0]["player_id"] == MOVER
    assert (mine[0]["pos"]["x"], mine[0]["pos"]["y"]) == at
    assert received(effects, OTHER) == [] and received(effects, THIRD) == []
    assert effects.transfers == []
    assert where(runtime) == at


def assert_stepped(runtime, effects, to):
    assert where(runtime) == to
    assert 115 in types(received(effects, OTHER))
    assert 110 not in types(received(effects, MOVER))


# --- the basic step ----------------------------------------------------------------------

def test_accepted_step_moves_one_tile_and_relays_one_115():
    runtime, mover = setup()
    effects = move(runtime, {"x": 5, "y": 5, "dir": 0, "speed": 250, "evil": "<b>x</b>", "player_id": 99})
    assert where(runtime) == (5, 6)
    assert mover["pos"]["dir"] == 0
    for pid in (OTHER, THIRD):
        got = received(effects, pid)
        assert got == [{"type": 115, "player_id": MOVER, "x": 5, "y": 5, "dir": 0, "speed": 250}]
    assert received(effects, MOVER) == []
    assert effects.transfers == []


@pytest.mark.parametrize("direction", [0, 1, 2, 3])
def test_each_direction(direction):
    runtime, mover = setup()
    effects = step(runtime, direction)
    dx, dy = STEP[direction]
    assert where(runtime) == (5 + dx, 5 + dy)
    assert mover["pos"]["dir"] == direction
    relay = received(effects, OTHER)[0]
    assert (relay["x"], relay["y"], relay["dir"]) == (5, 5, direction)  # the START tile


@pytest.mark.parametrize("claim", [(6, 5), (5, 6), (4, 4), (5, 7), (7, 5)])
def test_claim_differing_from_stored_bounces(claim):
    runtime, _ = setup()
    effects = step(runtime, 0, x=claim[0], y=claim[1])
    assert_bounced(runtime, effects, (5, 5))


def test_a_jump_is_impossible():
    runtime, _ = setup()
    effects = step(runtime, 0, y=6)  # claims to be one tile on already
    assert_bounced(runtime, effects, (5, 5))
    effects = step(runtime, 0, speed=10_000)  # a huge speed is still one tile
    assert where(runtime) == (5, 6)


@pytest.mark.parametrize("packet", [
    {"x": 12, "y": 5, "dir": 0, "speed": 1}, {"x": -1, "y": 5, "dir": 0, "speed": 1},
    {"x": 5, "y": 99999999999999999999, "dir": 0, "speed": 1}, {"x": 5, "y": 5, "dir": 4, "speed": 1},
    {"x": 5, "y": 5, "dir": -1, "speed": 1}, {"x": 5, "y": 5, "dir": "0", "speed": 1},
    {"x": "5", "y": 5, "dir": 0, "speed": 1}, {"x": 5.0, "y": 5, "dir": 0, "speed": 1},
    {"x": None, "y": 5, "dir": 0, "speed": 1}, {"x": [5], "y": 5, "dir": 0, "speed": 1},
    {"x": 5, "y": 5, "dir": True, "speed": 1}, {"x": 5, "y": 5, "dir": 0},
    {"x": 5, "y": 5, "dir": 0, "speed": None}, {"x": 5, "y": 5, "dir": 0, "speed": "fast"},
    {"x": 5, "y": 5, "dir": 0, "speed": True}, {"x": 5, "y": 5, "speed": 1}, {},
])
def test_bad_fields_bounce_and_never_raise(packet):
    runtime, _ = setup()
    effects = move(runtime, packet)
    assert_bounced(runtime, effects, (5, 5))


def test_bool_coordinates_are_not_ints():
    runtime, _ = setup(x=1, y=1)  # True == 1 in Python
    effects = move(runtime, {"x": True, "y": True, "dir": 0, "speed": 1})
    assert_bounced(runtime, effects, (1, 1))


def test_player_not_on_map_is_ignored():
    runtime, _ = setup()
    effects = Effects()
    handle_move(runtime, effects, 77, {"type": 6, "x": 5, "y": 5, "dir": 0, "speed": 1}, context())
    assert effects.messages == [] and effects.transfers == []


def test_speed_zero_turns_in_place():
    runtime, mover = setup()
    effects = step(runtime, 2, speed=0)
    assert where(runtime) == (5, 5)
    assert mover["pos"]["dir"] == 2
    assert received(effects, OTHER) == [{"type": 115, "player_id": MOVER, "x": 5, "y": 5, "dir": 2, "speed": 0}]
    assert received(effects, MOVER) == []


def test_too_fast_steps_bounce_after_the_burst():
    """One step per 100 ms on average, 2 back to back (jitter), never faster for long."""
    runtime, _ = setup()
    step(runtime, 0, ctx=context(NOW_MS))
    step(runtime, 0, ctx=context(NOW_MS + 10))  # bunched by the network: still allowed
    assert where(runtime) == (5, 7)
    effects = step(runtime, 0, ctx=context(NOW_MS + 50))  # a third at once is speed-walking
    assert_bounced(runtime, effects, (5, 7))
    effects = step(runtime, 0, ctx=context(NOW_MS + 150))  # one interval's credit earned again
    assert where(runtime) == (5, 8)
    effects = step(runtime, 0, ctx=context(NOW_MS + 160))
    assert_bounced(runtime, effects, (5, 8))


def test_a_steady_walker_is_never_bounced_even_with_jitter():
    runtime, _ = setup()
    arrivals = [0, 140, 190, 400, 410, 600]  # steps sent every 120 ms, arriving unevenly
    for offset in arrivals:
        runtime.players[MOVER].record["pos"]["y"] = 1
        runtime.players[MOVER].record["pos"]["x"] = 5
        step(runtime, 0, ctx=context(NOW_MS + offset))
        assert where(runtime) == (5, 2), f"bounced at +{offset} ms"


# --- walkability (5.1.3) -------------------------------------------------------------------

@pytest.mark.parametrize("kind", [1, 16, 18, 19, 20, 21, 22, 99])
def test_blocked_tile_types_bounce(kind):
    runtime, _ = setup()
    set_tile(runtime, 6, 5, kind)
    assert_bounced(runtime, step(runtime, 2), (5, 5))


@pytest.mark.parametrize("kind", [0, 2, 4, 5, 6, 7, 8, 11, 12, 13, 14])
def test_walkable_tile_types(kind):
    runtime, _ = setup()
    set_tile(runtime, 6, 5, kind)
    assert_stepped(runtime, step(runtime, 2), (6, 5))


def test_conditional_wall():
    runtime, _ = setup()
    set_tile(runtime, 6, 5, 15, blocked=True)
    assert_bounced(runtime, step(runtime, 2), (5, 5))
    set_tile(runtime, 6, 5, 15, blocked=False)
    assert_stepped(runtime, step(runtime, 2, ctx=context(NOW_MS + 1000)), (6, 5))


def test_open_door_makes_a_wall_walkable():
    runtime, _ = setup()
    set_tile(runtime, 6, 5, 1)
    assert runtime.open_door(6, 5, NOW_MS / 1000)
    assert_stepped(runtime, step(runtime, 2), (6, 5))


@pytest.mark.parametrize("direction", [0, 1, 2, 3])
def test_directional_block_on_the_leaving_tile(direction):
    runtime, _ = setup()
    set_tile(runtime, 5, 5, 2, **{f"block_{SIDE[direction]}": True})
    assert_bounced(runtime, step(runtime, direction), (5, 5))
    # Another direction leaves freely.
    other = OPPOSITE[direction]
    dx, dy = STEP[other]
    assert_stepped(runtime, step(runtime, other, ctx=context(NOW_MS + 1000)), (5 + dx, 5 + dy))


@pytest.mark.parametrize("direction", [0, 1, 2, 3])
def test_directional_block_on_the_entering_side(direction):
    dx, dy = STEP[direction]
    runtime, _ = setup()
    # Travelling in `direction` you come in through the opposite side of the next tile.
    set_tile(runtime, 5 + dx, 5 + dy, 2, **{f"block_{SIDE[OPPOSITE[direction]]}": True})
    assert_bounced(runtime, step(runtime, direction), (5, 5))
    # A block on the far side does not stop you entering.
    set_tile(runtime, 5 + dx, 5 + dy, 2, **{f"block_{SIDE[direction]}": True})
    assert_stepped(runtime, step(runtime, direction, ctx=context(NOW_MS + 1000)), (5 + dx, 5 + dy))


def test_locked_door_tile_bounces_unless_a_door_is_open():
    runtime, _ = setup()
    set_tile(runtime, 6, 5, 9, lock_east=True)
    assert_bounced(runtime, step(runtime, 2), (5, 5))
    assert runtime.open_door(6, 5, NOW_MS / 1000)
    assert_stepped(runtime, step(runtime, 2, ctx=context(NOW_MS + 1000)), (6, 5))


def test_access_above_two_walks_through_walls_and_blocks():
    runtime, _ = setup(access=3)
    set_tile(runtime, 6, 5, 1)
    set_tile(runtime, 7, 5, 2, block_west=True)
    assert_stepped(runtime, step(runtime, 2), (6, 5))
    assert_stepped(runtime, step(runtime, 2, ctx=context(NOW_MS + 1000)), (7, 5))
    runtime, _ = setup(access=2)
    set_tile(runtime, 6, 5, 1)
    assert_bounced(runtime, step(runtime, 2), (5, 5))


def test_dead_players_may_move():
    runtime, _ = setup(hp=0)
    assert_stepped(runtime, step(runtime, 0), (5, 6))


# --- doors, triggers, sprite swap (5.1.2 step 8, 5.2.2) ---------------------------------------

def test_walking_onto_an_unlocked_door_opens_it():
    runtime, _ = setup()
    set_tile(runtime, 6, 5, 9, item_id=3, lock_west=True)  # locked only against westward travel
    effects = step(runtime, 2)
    assert where(runtime) == (6, 5)
    for pid in (MOVER, OTHER, THIRD):
        doors = [p for p in received(effects, pid) if p["type"] == 122]
        assert len(doors) == 1
        assert doors[0]["map_id"] == 0 and len(doors[0]["map_doors"]) == 20
        assert {"x": 6, "y": 5} in doors[0]["map_doors"]
    slot = runtime.doors.index({"x": 6, "y": 5})
    assert runtime.door_close_at[slot] == pytest.approx(NOW_MS / 1000 + 10)


def test_a_door_already_open_is_not_reannounced():
    runtime, _ = setup()
    set_tile(runtime, 6, 5, 9)
    runtime.open_door(6, 5, NOW_MS / 1000)
    effects = step(runtime, 2)
    assert 122 not in types(received(effects, OTHER))


def test_dead_player_does_not_open_a_door():
    runtime, _ = setup(hp=0)
    set_tile(runtime, 6, 5, 9)
    effects = step(runtime, 2)
    assert where(runtime) == (6, 5)
    assert 122 not in types(received(effects, OTHER))
    assert not runtime.door_open_at(6, 5)


@pytest.mark.parametrize("cooldown, seconds", [(5, 5), (30, 30), (None, 10)])
def test_trigger_opens_the_door_at_its_target(cooldown, seconds):
    runtime, _ = setup()
    data = {"x": 2, "y": 3} if cooldown is None else {"x": 2, "y": 3, "cooldown": cooldown}
    set_tile(runtime, 5, 6, 10, **data)
    effects = step(runtime, 0)
    assert where(runtime) == (5, 6)
    doors = [p for p in received(effects, OTHER) if p["type"] == 122]
    assert len(doors) == 1 and {"x": 2, "y": 3} in doors[0]["map_doors"]
    slot = runtime.doors.index({"x": 2, "y": 3})
    assert runtime.door_close_at[slot] == pytest.approx(NOW_MS / 1000 + seconds)


def test_sprite_swap_and_restore():
    runtime, mover = setup()
    set_tile(runtime, 6, 5, 17, sprite=42)
    set_tile(runtime, 7, 5, 17, sprite=43)
    set_tile(runtime, 8, 5, 17, sprite=-1)
    effects = step(runtime, 2)
    assert (mover["sprite"], mover["swap_sprite"]) == (42, 1)
    for pid in (MOVER, OTHER, THIRD):
        spawns = [p for p in received(effects, pid) if p["type"] == 110]
        assert len(spawns) == 1 and spawns[0]["sprite"] == 42
    effects = step(runtime, 2, ctx=context(NOW_MS + 1000))  # already swapped: no change
    assert (mover["sprite"], mover["swap_sprite"]) == (42, 1)
    assert 110 not in types(received(effects, OTHER))
    effects = step(runtime, 2, ctx=context(NOW_MS + 2000))
    assert (mover["sprite"], mover["swap_sprite"]) == (1, -1)
    assert [p["sprite"] for p in received(effects, OTHER) if p["type"] == 110] == [1]
    assert where(runtime) == (8, 5)


# --- warps and edges (5.1.2 steps 7 and 8, 5.1.4) ---------------------------------------------

def test_same_map_warp_is_a_110_to_the_map():
    runtime, _ = setup()
    set_tile(runtime, 6, 5, 3, map_id=0, x=1, y=2)
    effects = step(runtime, 2)
    assert where(runtime) == (1, 2)
    assert effects.transfers == []
    assert MOVER in runtime.players
    for pid in (MOVER, OTHER, THIRD):
        spawns = [p for p in received(effects, pid) if p["type"] == 110 and p["player_id"] == MOVER]
        assert len(spawns) == 1 and (spawns[0]["pos"]["x"], spawns[0]["pos"]["y"]) == (1, 2)
        assert 111 not in types(received(effects, pid))


def test_warp_to_another_map_transfers():
    runtime, _ = setup(hp=0)  # warps apply to the dead too
    set_tile(runtime, 6, 5, 3, map_id=3, x=9, y=4)
    effects = step(runtime, 2)
    [transfer] = effects.transfers
    assert (transfer.pid, transfer.to_map) == (MOVER, 3)
    assert (transfer.record["pos"]["x"], transfer.record["pos"]["y"], transfer.record["pos"]["map_id"]) == (9, 4, 3)
    assert MOVER not in runtime.players
    assert {"type": 111, "player_id": MOVER, "map_id": 0} in received(effects, OTHER)
    assert {"type": 123, "sound_id": 0} in received(effects, MOVER)


@pytest.mark.parametrize("start, direction, link, landing", [
    ((4, 0), 3, "map_north_id", (4, 11)),
    ((0, 7), 1, "map_west_id", (11, 7)),
    ((11, 2), 2, "map_east_id", (0, 2)),
    ((9, 11), 0, "map_south_id", (9, 0)),
])
def test_edge_transitions(start, direction, link, landing):
    runtime, _ = setup(x=start[0], y=start[1], **{link: 4})
    effects = step(runtime, direction)
    [transfer] = effects.transfers
    assert transfer.to_map == 4
    pos = transfer.record["pos"]
    assert (pos["x"], pos["y"], pos["map_id"]) == (*landing, 4)
    assert MOVER not in runtime.players


@pytest.mark.parametrize("start, direction", [((4, 0), 3), ((0, 7), 1), ((11, 2), 2), ((9, 11), 0)])
def test_unlinked_edge_bounces(start, direction):
    # Every other edge is linked: only the one crossed matters.
    links = {"map_north_id": 1, "map_west_id": 2, "map_east_id": 3, "map_south_id": 4}
    crossed = {3: "map_north_id", 1: "map_west_id", 2: "map_east_id", 0: "map_south_id"}[direction]
    links[crossed] = -1
    runtime, _ = setup(x=start[0], y=start[1], **links)
    assert_bounced(runtime, step(runtime, direction), start)
