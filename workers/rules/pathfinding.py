"""A* for NPCs (PROTOCOL 5.5.3 step 2): the path an NPC chases its target along.

    grid = WalkGrid.of(runtime)              # once per tick: the tile rules
    path = find_path(runtime, (npc_x, npc_y), (player_x, player_y), grid)
    # [(npc_x, npc_y), ..., (player_x, player_y)], or None; len 2 = adjacent

The search is 4-neighbour with a Manhattan heuristic. The neighbour order
alternates between (S, N, E, W) and (E, W, S, N) to make paths look natural;
our rule is the parity of the expanded tile: x + y even tries S, N, E, W and
odd tries E, W, S, N, so a diagonal chase zig-zags instead of running along
one axis first. Among tiles of equal estimate the one further from the
start goes first (so open ground is not searched breadth-first), then the
one found first, so the result depends on the map only.

A tile may be entered from its neighbour when it is on the map, the tile left
does not block leaving that way (type-2 block, type-9 lock), its type passes
the A* column of 5.1.3, no door stands open on it (the QUIRK of 5.1.3, kept),
and no living NPC or player stands on it. The goal (the target's tile) only
needs the leave-direction test.

It runs for every NPC with aggro on every tick, so the tile rules are read
once into flat tables (``WalkGrid``) and only the occupants are gathered per
search.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

from cluster.records import MAP_SIZE
from cluster.tiles import STEPS, astar_may_enter, blocks_leaving
from workers.runtime import MapRuntime, is_alive

SOUTH, WEST, EAST, NORTH = 0, 1, 2, 3
TILES = MAP_SIZE * MAP_SIZE
DIRECTIONS = len(STEPS)
UNREACHED = TILES  # more steps than any path has


def _neighbours(x: int, y: int) -> tuple[tuple[int, int], ...]:
    """(direction, tile index) of the on-map neighbours of (x, y), in this tile's order."""
    order = (SOUTH, NORTH, EAST, WEST) if (x + y) % 2 == 0 else (EAST, WEST, SOUTH, NORTH)
    found = []
    for direction in order:
        nx, ny = x + STEPS[direction][0], y + STEPS[direction][1]
        if 0 <= nx < MAP_SIZE and 0 <= ny < MAP_SIZE:
            found.append((direction, nx * MAP_SIZE + ny))
    return tuple(found)


# Tile index = x * 12 + y.
NEIGHBOURS = tuple(_neighbours(*divmod(index, MAP_SIZE)) for index in range(TILES))


@dataclass(frozen=True, slots=True)
class WalkGrid:
    """The A* tile rules of one map, per (tile index * 4 + direction): may enter, may leave."""
    may_enter: bytes
    may_leave: bytes

    @classmethod
    def of(cls, runtime: MapRuntime) -> "WalkGrid":
        tiles = runtime.record["tiles"]
        enter, leave = bytearray(TILES * DIRECTIONS), bytearray(TILES * DIRECTIONS)
        for index in range(TILES):
            tile = tiles[index // MAP_SIZE][index % MAP_SIZE]
            for direction in range(DIRECTIONS):
                enter[index * DIRECTIONS + direction] = astar_may_enter(tile, direction)
                leave[index * DIRECTIONS + direction] = not blocks_leaving(tile, direction)
        return cls(bytes(enter), bytes(leave))


def find_path(runtime: MapRuntime, start: tuple[int, int], goal: tuple[int, int],
              grid: WalkGrid | None = None) -> list[tuple[int, int]] | None:
    """Tiles from start to goal inclusive (length 2 = adjacent, 1 = on the same tile), or None.

    ``grid`` is ``WalkGrid.of(runtime)``, to be shared by the searches of one
    tick; without it the tiles are read for this search alone.
    """
    if not (_on_map(start) and _on_map(goal)):
        return None
    if start == goal:
        return [start]
    grid = grid or WalkGrid.of(runtime)
    may_enter, may_leave = grid.may_enter, grid.may_leave
    blocked = _blocked_tiles(runtime)
    goal_x, goal_y = goal
    start_index, goal_index = start[0] * MAP_SIZE + start[1], goal_x * MAP_SIZE + goal_y
    came_from = [-1] * TILES  # tile index → the index it was best reached from
    cost = [UNREACHED] * TILES
    done = bytearray(TILES)
    cost[start_index] = 0
    found_order = 0
    frontier = [(_distance(start, goal), 0, found_order, start_index)]  # (estimate, -cost, order, tile)
    while frontier:
        here = heapq.heappop(frontier)[3]
        if done[here]:
            continue  # a stale entry: the tile was expanded at a lower cost
        done[here] = 1
        step_cost = cost[here] + 1
        for direction, there in NEIGHBOURS[here]:
            if not may_leave[here * DIRECTIONS + direction]:
                continue
            if there == goal_index:
                # With a consistent heuristic the first tile that reaches the goal is on a shortest path.
                came_from[there] = here
                return _walk_back(came_from, start_index, there)
            if (done[there] or step_cost >= cost[there] or blocked[there]
                    or not may_enter[there * DIRECTIONS + direction]):
                continue
            came_from[there], cost[there] = here, step_cost
            found_order += 1
            estimate = step_cost + abs(goal_x - there // MAP_SIZE) + abs(goal_y - there % MAP_SIZE)
            heapq.heappush(frontier, (estimate, -step_cost, found_order, there))
    return None


def _blocked_tiles(runtime: MapRuntime) -> bytearray:
    """Tiles no path may cross: living NPCs, living players and open doors, by tile index."""
    blocked = bytearray(TILES)
    occupied = [(door["x"], door["y"]) for door in runtime.doors]
    occupied += [(npc["pos"]["x"], npc["pos"]["y"]) for slot, npc in enumerate(runtime.npcs) if runtime.npc_alive(slot)]
    occupied += [(p.record["pos"]["x"], p.record["pos"]["y"]) for p in runtime.players.values() if is_alive(p.record)]
    for x, y in occupied:
        if type(x) is int and type(y) is int and 0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE:
            blocked[x * MAP_SIZE + y] = 1
    return blocked


def _walk_back(came_from: list[int], start_index: int, index: int) -> list[tuple[int, int]]:
    path = []
    while index != start_index:
        path.append(divmod(index, MAP_SIZE))
        index = came_from[index]
    path.append(divmod(start_index, MAP_SIZE))
    path.reverse()
    return path


def _on_map(tile) -> bool:
    return (isinstance(tile, tuple) and len(tile) == 2 and all(type(v) is int for v in tile)
            and 0 <= tile[0] < MAP_SIZE and 0 <= tile[1] < MAP_SIZE)


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])
