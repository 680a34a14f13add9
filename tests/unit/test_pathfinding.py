"""workers.rules.pathfinding: the NPC A* of PROTOCOL 5.5.3 step 2."""
from __future__ import annotations

from collections import deque

import pytest
from maptools import character, runtime_with, set_tile
from npctools import put_npc

from workers.rules.pathfinding import find_path

STEP = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}  # PROTOCOL 0.3
SIDE = {0: "south", 1: "west", 2: "east", 3: "north"}


def shortest_length(runtime, start, goal):
    """Tiles on a shortest path by breadth-first search over plain floor and walls (an independent check)."""
    seen, queue = {start: 1}, deque([start])
    while queue:
        x, y = queue.popleft()
        if (x, y) == goal:
            return seen[goal]
        for dx, dy in STEP.values():
            nx, ny = x + dx, y + dy
            if 0 <= nx < 12 and 0 <= ny < 12 and (nx, ny) not in seen and (
                    (nx, ny) == goal or runtime.tile(nx, ny)["type"] == 0):
                seen[(nx, ny)] = seen[(x, y)] + 1
                queue.append((nx, ny))
    return None


def assert_walkable_path(path, start, goal):
    assert path[0] == start and path[-1] == goal
    for (x, y), (nx, ny) in zip(path, path[1:]):
        assert abs(nx - x) + abs(ny - y) == 1, "4-neighbour steps only"
    assert len(set(path)) == len(path)


@pytest.mark.parametrize("start, goal", [((0, 0), (11, 11)), ((5, 5), (5, 9)), ((9, 2), (1, 7))])
def test_open_map_paths_are_shortest(start, goal):
    runtime = runtime_with()
    path = find_path(runtime, start, goal)
    assert_walkable_path(path, start, goal)
    assert len(path) == abs(goal[0] - start[0]) + abs(goal[1] - start[1]) + 1


def test_adjacent_is_length_two_and_same_tile_is_length_one():
    runtime = runtime_with()
    assert find_path(runtime, (3, 3), (4, 3)) == [(3, 3), (4, 3)]
    assert find_path(runtime, (3, 3), (3, 3)) == [(3, 3)]


def test_neighbour_order_alternates_with_the_parity_of_the_tile():
    runtime = runtime_with()
    # (5, 5): x + y even, so south is tried before east; (6, 5) is odd, so east first.
    assert find_path(runtime, (5, 5), (6, 6)) == [(5, 5), (5, 6), (6, 6)]
    assert find_path(runtime, (6, 5), (7, 6)) == [(6, 5), (7, 5), (7, 6)]
    # A diagonal chase zig-zags instead of running along one axis first.
    assert find_path(runtime, (5, 5), (7, 7)) == [(5, 5), (5, 6), (6, 6), (6, 7), (7, 7)]


def test_a_wall_is_walked_around_on_a_shortest_path():
    runtime = runtime_with()
    for y in range(0, 10):
        set_tile(runtime, 6, y, 1)  # a wall with a gap at the bottom
    for y in range(3, 12):
        set_tile(runtime, 3, y, 1)  # and another with a gap at the top
    path = find_path(runtime, (1, 8), (10, 1))
    assert_walkable_path(path, (1, 8), (10, 1))
    assert all(runtime.tile(x, y)["type"] == 0 for x, y in path)
    assert len(path) == shortest_length(runtime, (1, 8), (10, 1))


def test_no_path_to_a_walled_in_goal():
    runtime = runtime_with()
    for x, y in ((4, 5), (6, 5), (5, 4), (5, 6)):
        set_tile(runtime, x, y, 1)
    assert find_path(runtime, (0, 0), (5, 5)) is None


def test_the_goal_tile_itself_only_needs_the_leave_test():
    runtime = runtime_with()
    set_tile(runtime, 5, 5, 1)  # the target stands on a wall (a staff member, a door)
    assert find_path(runtime, (5, 2), (5, 5)) == [(5, 2), (5, 3), (5, 4), (5, 5)]


@pytest.mark.parametrize("kind", [1, 3, 8, 16, 18, 19, 21])
def test_tiles_the_astar_column_forbids_are_not_crossed(kind):
    runtime = runtime_with()
    set_tile(runtime, 5, 4, kind)
    path = find_path(runtime, (5, 3), (5, 5))
    assert (5, 4) not in path and len(path) == 5


@pytest.mark.parametrize("kind", [0, 2, 4, 5, 6, 7, 10, 11, 12, 17, 20])
def test_tiles_the_astar_column_allows_are_crossed(kind):
    runtime = runtime_with()
    set_tile(runtime, 5, 4, kind)
    assert find_path(runtime, (5, 3), (5, 5)) == [(5, 3), (5, 4), (5, 5)]


def test_a_conditional_wall_is_crossed_only_when_not_blocked():
    runtime = runtime_with()
    set_tile(runtime, 5, 4, 15, blocked=True)
    assert (5, 4) not in find_path(runtime, (5, 3), (5, 5))
    set_tile(runtime, 5, 4, 15, blocked=False)
    assert find_path(runtime, (5, 3), (5, 5)) == [(5, 3), (5, 4), (5, 5)]


def test_a_directional_block_stops_leaving_that_way_only():
    runtime = runtime_with()
    set_tile(runtime, 5, 5, 2, block_east=True)
    path = find_path(runtime, (5, 5), (6, 5))
    assert path is not None and path[1] != (6, 5) and len(path) == 4
    # Entering a type-2 tile is never blocked for A* (only leaving it is).
    set_tile(runtime, 6, 5, 2, block_west=True, block_east=True, block_north=True, block_south=True)
    assert find_path(runtime, (7, 5), (6, 5)) == [(7, 5), (6, 5)]


def test_the_goal_must_pass_the_leave_test_from_its_neighbour():
    runtime = runtime_with()
    for y in range(12):
        if y != 5:
            set_tile(runtime, 4, y, 1)
    set_tile(runtime, 4, 5, 2, block_east=True)  # the only way east leaves eastward from a block
    assert find_path(runtime, (2, 5), (5, 5)) is None


@pytest.mark.parametrize("direction", [0, 1, 2, 3])
def test_a_door_is_entered_only_when_its_lock_in_the_travel_direction_is_false(direction):
    dx, dy = STEP[direction]
    start, door, goal = (5, 5), (5 + dx, 5 + dy), (5 + 2 * dx, 5 + 2 * dy)
    runtime = runtime_with()
    set_tile(runtime, *door, 9, **{f"lock_{SIDE[direction]}": False})
    assert find_path(runtime, start, goal) == [start, door, goal]
    set_tile(runtime, *door, 9)  # no flag at all: not explicitly false
    assert door not in find_path(runtime, start, goal)


def test_a_locked_door_cannot_be_left_in_its_locked_direction():
    runtime = runtime_with()
    set_tile(runtime, 5, 5, 9, lock_east=True, lock_south=False)
    path = find_path(runtime, (5, 5), (6, 5))
    assert path[1] != (6, 5)


def test_an_open_door_blocks_the_pathfinder_quirk():
    runtime = runtime_with()
    for x in range(12):
        if x != 6:
            set_tile(runtime, x, 4, 1)  # a wall with one gap at (6, 4)
    assert find_path(runtime, (6, 2), (6, 6)) == [(6, 2), (6, 3), (6, 4), (6, 5), (6, 6)]
    runtime.doors[0] = {"x": 6, "y": 4}
    assert find_path(runtime, (6, 2), (6, 6)) is None


def test_living_npcs_and_players_block_but_the_dead_do_not():
    blocker = character("Blocker", 6, 4)
    runtime = runtime_with((1, blocker))
    for x in range(12):
        if x != 6:
            set_tile(runtime, x, 4, 1)
    assert find_path(runtime, (6, 2), (6, 6)) is None
    blocker["vitals"]["hp"] = 0
    assert find_path(runtime, (6, 2), (6, 6)) is not None
    put_npc(runtime, 3, 0, 6, 4)
    assert find_path(runtime, (6, 2), (6, 6)) is None
    runtime.npcs[3]["vitals"]["hp"] = 0
    assert find_path(runtime, (6, 2), (6, 6)) is not None


@pytest.mark.parametrize("start, goal", [((-1, 0), (3, 3)), ((0, 0), (12, 3)), ((0, 0), (1.0, 2)),
                                         ((0, 0), (True, 2)), (None, (1, 1))])
def test_bad_tiles_give_no_path(start, goal):
    assert find_path(runtime_with(), start, goal) is None
