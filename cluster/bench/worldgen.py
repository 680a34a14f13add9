"""Generate a large, plain world for benchmarks: ``odyssey world generate``.

The world is a near-square grid of N maps, each linked to its grid neighbours
by edge links. A map is open floor with a few wall tiles scattered inside it:
never on the two outer rings (so every linked edge can be walked across),
never on the start tile, and never where a wall would cut a floor tile off.

There is exactly one profession per map: profession i ("Pilgrim i") starts
near the centre of map i, so a benchmark spreads its bots over maps by
choosing profession_id = map index. Items, NPCs, shops, quests and the
default scripts are copied from the starter world; items are made usable by
every profession. ``--npcs N`` reserves the first N NPC slots of every map for
the starter world's small wanderers (Rat, Green Slime, Cave Bat), so a
benchmark also measures the NPC AI.
"""

from __future__ import annotations

import argparse
import collections
import math
import pathlib
import random
import sys

from cluster import records
from cluster.records import MAP_SIZE
from storage.world import STARTER_WORLD
from storage.worldcheck import validate_world
from storage.worldfiles import read_scripts, read_world, write_scripts, write_world

STARTER_WORLD_DIR = STARTER_WORLD
GROUND_GRASS = 1
WALL_DECORATION = 11  # a tree (layer 1; opaque to the server)
START_X, START_Y = 5, 5
# The hard-coded self-revive spot of PROTOCOL 5.7 (map 7, x 2, y 7): keep it floor everywhere.
REVIVE_X, REVIVE_Y = 2, 7
WALLS_PER_MAP = (6, 14)  # inclusive range of wall tiles tried per map
# Walls stay off the outer two rings: border rows/columns and the tiles next to them.
_INNER = range(2, MAP_SIZE - 2)
# With bit p set for every p, (-1 >> p) & 1 == 1: every profession may use the item.
EVERY_PROFESSION = -1
WANDERERS = (0, 1, 4)  # starter-world NPC ids that roam a bench map: Rat, Green Slime, Cave Bat


def grid_shape(n_maps: int) -> tuple[int, int]:
    """Return (columns, rows) of the near-square grid that holds `n_maps` maps."""
    columns = math.ceil(math.sqrt(n_maps))
    return columns, math.ceil(n_maps / columns)


def _links(map_id: int, n_maps: int, columns: int) -> dict[str, int]:
    column = map_id % columns
    return {
        "map_north_id": map_id - columns if map_id >= columns else -1,
        "map_south_id": map_id + columns if map_id + columns < n_maps else -1,
        "map_west_id": map_id - 1 if column > 0 else -1,
        "map_east_id": map_id + 1 if column < columns - 1 and map_id + 1 < n_maps else -1,
    }


def _floor_connected(walls: set[tuple[int, int]]) -> bool:
    """Whether every non-wall tile is reachable from the start tile by 4-neighbour steps."""
    seen = {(START_X, START_Y)}
    queue = collections.deque(seen)
    while queue:
        x, y = queue.popleft()
        for nx, ny in ((x, y + 1), (x - 1, y), (x + 1, y), (x, y - 1)):
            if (0 <= nx < MAP_SIZE and 0 <= ny < MAP_SIZE and (nx, ny) not in walls
                    and (nx, ny) not in seen):
                seen.add((nx, ny))
                queue.append((nx, ny))
    return len(seen) == MAP_SIZE * MAP_SIZE - len(walls)


def _scatter_walls(rng: random.Random) -> set[tuple[int, int]]:
    """Pick wall tiles inside the map that leave all floor connected."""
    reserved = {(START_X, START_Y), (REVIVE_X, REVIVE_Y)}
    walls: set[tuple[int, int]] = set()
    for _attempt in range(rng.randint(*WALLS_PER_MAP)):
        tile = (rng.choice(_INNER), rng.choice(_INNER))
        if tile in reserved or tile in walls:
            continue
        if _floor_connected(walls | {tile}):
            walls.add(tile)
    return walls


def _bench_map(map_id: int, n_maps: int, columns: int, rng: random.Random, npcs: int = 0) -> dict:
    record = records.new_map(f"Bench {map_id} ({map_id % columns},{map_id // columns})")
    record["author"] = "odyssey world generate"
    for column in record["tiles"]:
        for tile in column:
            tile["layers"][0] = GROUND_GRASS
    record.update(_links(map_id, n_maps, columns))
    record["death_map"] = {"x": START_X, "y": START_Y, "dir": 0, "map_id": map_id}
    for slot in range(min(npcs, records.NPC_SLOTS)):
        record["spawn_npc_ids"][slot] = WANDERERS[slot % len(WANDERERS)]
    for x, y in sorted(_scatter_walls(rng)):
        wall = {"layers": [GROUND_GRASS] + [-1] * (records.TILE_LAYERS - 1), "type": 1,
                "data": {"block_ranged": True}}
        wall["layers"][1] = WALL_DECORATION
        record["tiles"][x][y] = wall
    return record


def _pilgrims(n_maps: int, bases: list[dict]) -> list[dict]:
    """One profession per map, copying vitals, stats and sprites from the base professions."""
    professions = []
    for map_id in range(n_maps):
        base = bases[map_id % len(bases)]
        professions.append({
            "name": f"Pilgrim {map_id}",
            "start_pos": {"x": START_X, "y": START_Y, "dir": 0, "map_id": map_id},
            "vitals": dict(base["vitals"]),
            "stats": dict(base["stats"]),
            "sprite_male": base["sprite_male"],
            "sprite_female": base["sprite_female"],
        })
    return professions


def generate_world(n_maps: int, seed: int = 1, npcs: int = 0) -> tuple[dict[int, dict], dict[str, list]]:
    """Return (maps, resources) of a bench world of `n_maps` linked maps, `npcs` wanderers on each.

    The same `n_maps` and `seed` always give the same world.
    """
    if n_maps < 1:
        raise ValueError(f"a world needs at least one map, not {n_maps}")
    _starter_maps, starter = read_world(STARTER_WORLD_DIR)
    rng = random.Random(seed)
    columns, _rows = grid_shape(n_maps)
    maps = {map_id: _bench_map(map_id, n_maps, columns, rng, npcs) for map_id in range(n_maps)}
    items = [{**item, "prof_req_flags": EVERY_PROFESSION} for item in starter["items"]]
    resources = {
        "professions": _pilgrims(n_maps, starter["professions"]),
        "items": items,
        "npcs": starter["npcs"],
        "shops": starter["shops"],
        "quests": starter["quests"],
    }
    return maps, resources


def main(argv: list[str] | None = None) -> int:
    """`odyssey world generate [--maps N] [--seed S] DIR`: write a bench world to DIR."""
    parser = argparse.ArgumentParser(
        prog="odyssey world generate",
        description="Write a generated bench world (a grid of linked maps, one profession "
                    "per map) in the starter-world file format.")
    parser.add_argument("--maps", type=int, default=100, help="number of maps (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--npcs", type=int, default=0,
                        help="wandering NPCs on every map, 0 to 20 (default 0)")
    parser.add_argument("directory", metavar="DIR", type=pathlib.Path,
                        help="directory to write (created if missing)")
    options = parser.parse_args(argv)
    if options.maps < 1:
        parser.error("--maps must be at least 1")
    if not 0 <= options.npcs <= records.NPC_SLOTS:
        parser.error(f"--npcs must be 0 to {records.NPC_SLOTS}")
    maps, resources = generate_world(options.maps, options.seed, options.npcs)
    problems = validate_world(maps, resources)
    if problems:
        print(f"generated world is invalid: {problems[0]} ({len(problems)} problems)",
              file=sys.stderr)
        return 1
    write_world(options.directory, maps, resources)
    write_scripts(options.directory, read_scripts(STARTER_WORLD_DIR))
    columns, rows = grid_shape(options.maps)
    print(f"wrote {len(maps)} maps ({columns}x{rows} grid, seed {options.seed}, {options.npcs} NPCs each), "
          f"{len(resources['professions'])} professions and the starter scripts to {options.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
