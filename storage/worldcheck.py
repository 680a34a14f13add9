"""Checks of a world's content: geometry, field types, links, and every id
one record uses to point at another. ``read_world`` only checks file shape."""
from __future__ import annotations

from typing import Any

from cluster.records import (DROP_KINDS, ITEM_DATA_KINDS, LAYER_COUNT, MAP_FIELD_KINDS, MAP_SIZE,
                             NPC_SLOT_COUNT, OPTIONAL_MAP_FIELD_KINDS, POSITION_KINDS, RESOURCE_FIELD_KINDS,
                             RESOURCE_NAMES, STATS_KINDS, TILE_DATA_KINDS, TRADE_KINDS, VITALS_KINDS)
from cluster.tiles import player_may_enter

_LINKS = (("map_north_id", "map_south_id"), ("map_east_id", "map_west_id"),
          ("map_south_id", "map_north_id"), ("map_west_id", "map_east_id"))

def _kind_ok(value: Any, kind: str) -> bool:
    if kind == "number":
        return type(value) in (int, float)
    return type(value) is {"int": int, "bool": bool, "str": str, "dict": dict, "list": list}[kind]


def _check_fields(where: str, record: Any, kinds: dict[str, str], problems: list[str]) -> bool:
    """Report missing or mistyped fields; return whether all of them are fine."""
    if not isinstance(record, dict):
        problems.append(f"{where}: not an object")
        return False
    bad = [f"{key} (want {kind})" for key, kind in kinds.items()
           if key not in record or not _kind_ok(record[key], kind)]
    if bad:
        problems.append(f"{where}: missing or mistyped {', '.join(bad)}")
    return not bad


def _in_map(x: Any, y: Any) -> bool:
    return type(x) is int and type(y) is int and 0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE


def _tile_at(maps: dict[int, dict], map_id: int, x: int, y: int) -> dict | None:
    """The tile at (x, y) of a map, or None when the map or tile is missing or malformed."""
    try:
        tile = maps[map_id]["tiles"][x][y]
    except (KeyError, IndexError, TypeError):
        return None
    return tile if isinstance(tile, dict) else None


def _check_position(where: str, pos: Any, maps: dict[int, dict], problems: list[str],
                    optional_map: bool = False, floor_only: bool = False) -> None:
    """Check a {x, y, dir, map_id} that points at an enterable tile of an existing map."""
    if not _check_fields(where, pos, POSITION_KINDS, problems):
        return
    if optional_map and pos["map_id"] == -1:
        return
    if pos["map_id"] not in maps or not _in_map(pos["x"], pos["y"]) or not 0 <= pos["dir"] <= 3:
        problems.append(f"{where}: {pos} is not a tile of an existing map")
        return
    tile = _tile_at(maps, pos["map_id"], pos["x"], pos["y"])
    if tile is not None and (tile.get("type") != 0 if floor_only else not player_may_enter(tile)):
        problems.append(f"{where}: {pos} is not {'floor' if floor_only else 'walkable'}")


def _check_tile(where: str, tile: Any, maps: dict, counts: dict[str, int],
                problems: list[str]) -> None:
    kinds = {"layers": "list", "type": "int", "data": "dict"}
    if not _check_fields(where, tile, kinds, problems):
        return
    layers = tile["layers"]
    if len(layers) != LAYER_COUNT or not all(type(v) is int for v in layers):
        problems.append(f"{where}: layers must be {LAYER_COUNT} ints")
    tile_type, data = tile["type"], tile["data"]
    if tile_type < 0 or not _check_fields(where, data, TILE_DATA_KINDS.get(tile_type, {}),
                                          problems):
        return
    if tile_type == 3:
        _check_position(f"{where} warp", {**data, "dir": 0}, maps, problems)
    elif tile_type in (4, 9) and not -1 <= data["item_id"] < counts["items"]:
        problems.append(f"{where}: item {data['item_id']} does not exist")
    elif tile_type == 6 and not (0 <= data["npc_id"] < counts["npcs"] and -1 <= data["dir"] <= 3):
        problems.append(f"{where}: bad NPC spawn {data}")
    elif tile_type == 10 and not _in_map(data["x"], data["y"]):
        problems.append(f"{where}: trigger target ({data['x']},{data['y']}) is off the map")


def _border(key: str) -> list[tuple[int, int]]:
    edge = MAP_SIZE - 1
    return {"map_north_id": [(x, 0) for x in range(MAP_SIZE)],
            "map_south_id": [(x, edge) for x in range(MAP_SIZE)],
            "map_west_id": [(0, y) for y in range(MAP_SIZE)],
            "map_east_id": [(edge, y) for y in range(MAP_SIZE)]}[key]


def _check_links(map_id: int, record: dict, maps: dict, problems: list[str]) -> None:
    """Each link points at a map that links back, across an edge a player can walk over."""
    for key, back_key in _LINKS:
        other = record[key]
        if other == -1:
            continue
        if other not in maps:
            problems.append(f"map {map_id}: {key} {other} does not exist")
            continue
        back = maps[other].get(back_key) if isinstance(maps[other], dict) else None
        if back != map_id:
            problems.append(f"map {map_id}: {key} is {other} but map {other} {back_key} is {back}")
        for x, y in _border(key):
            tile = _tile_at(maps, map_id, x, y)
            if tile is not None and (not player_may_enter(tile) or tile.get("type") == 3):
                problems.append(f"map {map_id} tile ({x},{y}): linked edge is not walkable")


def _check_map(map_id: int, record: Any, maps: dict, counts: dict[str, int],
               problems: list[str]) -> None:
    where = f"map {map_id}"
    if not _check_fields(where, record, MAP_FIELD_KINDS, problems):
        return
    optional = {k: v for k, v in OPTIONAL_MAP_FIELD_KINDS.items() if k in record}
    _check_fields(where, record, optional, problems)
    tiles = record["tiles"]
    if len(tiles) != MAP_SIZE or not all(isinstance(c, list) and len(c) == MAP_SIZE
                                         for c in tiles):
        problems.append(f"{where}: tiles must be {MAP_SIZE}x{MAP_SIZE}")
        return
    for x, column in enumerate(tiles):
        for y, tile in enumerate(column):
            _check_tile(f"{where} tile ({x},{y})", tile, maps, counts, problems)
    _check_links(map_id, record, maps, problems)
    _check_position(f"{where} boot_map", record["boot_map"], maps, problems, optional_map=True)
    _check_position(f"{where} death_map", record["death_map"], maps, problems, optional_map=True)
    spawns = record["spawn_npc_ids"]
    if len(spawns) != NPC_SLOT_COUNT or not all(
            type(n) is int and -1 <= n < counts["npcs"] for n in spawns):
        problems.append(f"{where}: spawn_npc_ids must be {NPC_SLOT_COUNT} NPC ids or -1")
    shop_id = record.get("shop_id", -1)
    if type(shop_id) is int and not -1 <= shop_id < counts["shops"]:
        problems.append(f"{where}: shop {shop_id} does not exist")


def _check_item_entries(where: str, entries: list, kinds: dict[str, str], n_items: int,
                        problems: list[str]) -> None:
    """Check NPC drops or shop trades: their fields, and that each item they name exists."""
    for number, entry in enumerate(entries):
        if _check_fields(f"{where} entry {number}", entry, kinds, problems):
            if not all(0 <= v < n_items for k, v in entry.items() if k.endswith("item_id")):
                problems.append(f"{where} entry {number}: unknown item in {entry}")


def _check_resource(name: str, where: str, record: dict, maps: dict, counts: dict[str, int],
                    problems: list[str]) -> None:
    """The checks of one resource record whose fields have the right types."""
    if name in ("professions", "npcs"):
        _check_fields(f"{where} vitals", record["vitals"], VITALS_KINDS, problems)
        _check_fields(f"{where} stats", record["stats"], STATS_KINDS, problems)
    if name == "professions":
        _check_position(f"{where} start_pos", record["start_pos"], maps, problems,
                        floor_only=True)
    elif name == "items":
        _check_fields(f"{where} data", record["data"], ITEM_DATA_KINDS, problems)
        if not -1 <= record["repair_id"] < counts["items"]:
            problems.append(f"{where}: repair_id {record['repair_id']} does not exist")
    elif name == "npcs":
        _check_item_entries(where, record["drop_items"], DROP_KINDS, counts["items"], problems)
        if record["move_amount"] < 1:
            problems.append(f"{where}: move_amount must be at least 1")
    elif name == "shops":
        _check_item_entries(where, record["trades"], TRADE_KINDS, counts["items"], problems)


def validate_world(maps: dict[int, dict], resources: dict[str, list]) -> list[str]:
    """Return the problems of a world, one line each; an empty list means it is sound.

    Checks every map against PROTOCOL 4.3 (12x12 tiles of 10 layers, field and
    tile-data types, symmetric edge links over walkable borders), every
    resource record against 4.5, profession start tiles (floor), and that
    every item, NPC, shop and map id a record points at exists.
    """
    problems: list[str] = []
    for name in RESOURCE_NAMES:
        if not isinstance(resources.get(name), list):
            problems.append(f"resources: {name} must be a list")
    if problems:
        return problems
    counts = {name: len(resources[name]) for name in RESOURCE_NAMES}
    if not maps:
        problems.append("world: no maps")
    for map_id, record in maps.items():
        _check_map(map_id, record, maps, counts, problems)
    for name in RESOURCE_NAMES:
        for index, record in enumerate(resources[name]):
            where = f"{name}[{index}]"
            if _check_fields(where, record, RESOURCE_FIELD_KINDS[name], problems):
                _check_resource(name, where, record, maps, counts, problems)
    return problems
