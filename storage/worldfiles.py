"""A world stored as readable JSON files: read it, write it, check it.

Layout of a world directory::

    maps/<id>.json       one map record (PROTOCOL 4.3) per file, named by map id;
                         its tiles are written as `tiles[x][y]`: 12 blocks, one per
                         column x, each of 12 lines, from y = 0 (north) to 11
    professions.json     \\
    items.json            |  each a JSON array of records (PROTOCOL 4.5),
    npcs.json             |  indexed by position
    shops.json            |
    quests.json          /

Every file is written in one fixed layout: a record's keys one per line in a
fixed order, one map tile per line, compact JSON inside a line. So writing,
reading and writing again gives the same bytes, and a diff of two worlds shows
which tiles and fields changed.

`read_world` only checks that each file is well-formed JSON of the right
outer shape; `validate_world` checks the content (geometry, field types, links
and every id that one record uses to point at another).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
from typing import Any

MAP_SIZE = 12
LAYER_COUNT = 10
NPC_SLOT_COUNT = 20
RESOURCE_NAMES = ("professions", "items", "npcs", "shops", "quests")

# Map keys in file order; `tiles` always comes last, unknown keys just before it.
MAP_KEY_ORDER = (
    "name", "author", "map_north_id", "map_east_id", "map_south_id", "map_west_id",
    "boot_map", "death_map", "moral", "forbid_attack", "protect_npcs", "forbid_ranged",
    "indoors", "locked", "hall_id", "music_id", "spawn_npc_ids", "data", "shop_id", "treasure",
)
TILE_KEY_ORDER = ("layers", "type", "data")
# The JSON type of every map field (PROTOCOL 4.3). Kinds: "int" (never a bool), "bool",
# "str", "dict", "list", and "number" (int or float).
MAP_FIELD_KINDS = {
    "name": "str", "author": "str", "tiles": "list",
    "map_north_id": "int", "map_east_id": "int", "map_south_id": "int", "map_west_id": "int",
    "boot_map": "dict", "death_map": "dict", "moral": "int", "forbid_attack": "bool",
    "protect_npcs": "bool", "forbid_ranged": "bool", "indoors": "bool", "locked": "bool",
    "hall_id": "int", "music_id": "int", "spawn_npc_ids": "list", "data": "dict",
}
OPTIONAL_MAP_FIELD_KINDS = {"shop_id": "int", "treasure": "bool"}

_DIRECTION_FLAGS = ("south", "west", "east", "north")
# Tile `data` keys by tile type (PROTOCOL 4.3).
TILE_DATA_KINDS: dict[int, dict[str, str]] = {
    1: {"block_ranged": "bool"},
    2: {f"block_{d}": "bool" for d in _DIRECTION_FLAGS},
    3: {"map_id": "int", "x": "int", "y": "int"},
    4: {"item_id": "int", "amount": "int"},
    6: {"npc_id": "int", "dir": "int"},
    9: {"item_id": "int", **{f"lock_{d}": "bool" for d in _DIRECTION_FLAGS}},
    10: {"x": "int", "y": "int", "cooldown": "int"},
    15: {"blocked": "bool"},
    17: {"sprite": "int"},
}

# The fields of each resource record the server reads (PROTOCOL 4.5), in file
# order, with their JSON types; quests are opaque to the server.
_RESOURCE_FIELD_KINDS = {
    "professions": {"name": "str", "start_pos": "dict", "vitals": "dict", "stats": "dict",
                    "sprite_male": "int", "sprite_female": "int"},
    "items": {"name": "str", "sprite": "int", "type": "int",
              "prof_req_flags": "int", "uses": "int", "limit": "int",
              "repair_cost": "number", "repair_id": "int", "data": "dict"},
    "npcs": {"name": "str", "sprite": "int", "scale": "number", "vitals": "dict",
             "stats": "dict", "move_chance": "number", "move_amount": "int",
             "move_delay": "number", "pursue_run": "bool", "spawn_delay": "number",
             "drop_items": "list", "behavior": "int"},
    "shops": {"name": "str", "join_say": "str", "leave_say": "str", "trades": "list"},
    "quests": {},
}
RESOURCE_KEY_ORDER = {name: tuple(kinds) for name, kinds in _RESOURCE_FIELD_KINDS.items()}
RESOURCE_KEY_ORDER["items"] = ("name", "desc", *RESOURCE_KEY_ORDER["items"][1:])
RESOURCE_KEY_ORDER["quests"] = ("name", "desc")
_POSITION_KINDS = {"x": "int", "y": "int", "dir": "int", "map_id": "int"}
_VITALS_KINDS = {"hp": "number", "mp": "number", "sp": "number"}
_STATS_KINDS = {"str": "number", "def": "number", "mag": "number", "spd": "number"}
_ITEM_DATA_KINDS = {"min_damage": "number", "max_damage": "number", "min_protection": "number",
                    "max_protection": "number", "tile_range": "number"}
_DROP_KINDS = {"item_id": "int", "chance": "number", "amount": "int"}
_TRADE_KINDS = {"take_item_id": "int", "take_amount": "int", "give_item_id": "int",
                "give_amount": "int"}
_LINKS = (("map_north_id", "map_south_id"), ("map_east_id", "map_west_id"),
          ("map_south_id", "map_north_id"), ("map_west_id", "map_east_id"))
_MAP_FILE_NAME = re.compile(r"(0|[1-9][0-9]*)\.json")
# Key order inside values written on one line (positions, vitals, tile data, ...).
_NESTED_KEY_RANK = {key: rank for rank, key in enumerate((
    "x", "y", "dir", "map_id", "hp", "mp", "sp", "str", "def", "mag", "spd",
    "take_item_id", "take_amount", "give_item_id", "give_amount", "item_id", "chance", "amount",
    "min_damage", "max_damage", "min_protection", "max_protection", "tile_range",
    *(f"block_{d}" for d in _DIRECTION_FLAGS), *(f"lock_{d}" for d in _DIRECTION_FLAGS)))}


# ---------------------------------------------------------------- building


def new_tile(ground: int = -1, tile_type: int = 0, data: dict | None = None) -> dict:
    """Return a fresh tile: `ground` on layer 0, the other layers empty."""
    return {"layers": [ground] + [-1] * (LAYER_COUNT - 1), "type": tile_type,
            "data": dict(data or {})}


def new_map(name: str = "", author: str = "", ground: int = -1) -> dict:
    """Return a fresh map record with every field of PROTOCOL 4.3 at its default."""
    nowhere = {"x": 0, "y": 0, "dir": 0, "map_id": -1}
    return {
        "name": name, "author": author,
        "map_north_id": -1, "map_east_id": -1, "map_south_id": -1, "map_west_id": -1,
        "boot_map": dict(nowhere), "death_map": dict(nowhere), "moral": 0,
        "forbid_attack": False, "protect_npcs": False, "forbid_ranged": False,
        "indoors": False, "locked": False, "hall_id": -1, "music_id": -1,
        "spawn_npc_ids": [-1] * NPC_SLOT_COUNT, "data": {},
        "tiles": [[new_tile(ground) for _y in range(MAP_SIZE)] for _x in range(MAP_SIZE)],
    }


def player_may_enter(tile: dict) -> bool:
    """Whether a player may step onto this tile (PROTOCOL 5.1.3, no open door)."""
    tile_type = tile.get("type")
    if tile_type == 15:
        return not tile.get("data", {}).get("blocked", False)
    return tile_type in (0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17)


# ---------------------------------------------------------------- formatting


def _canonical(value: Any) -> Any:
    """A copy with every object's keys in `_NESTED_KEY_RANK` order, then alphabetical."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_NESTED_KEY_RANK.get(k, len(_NESTED_KEY_RANK)), k))
        return {k: _canonical(value[k]) for k in keys}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _compact(value: Any) -> str:
    return json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"))


def _ordered_keys(record: dict, known: tuple[str, ...]) -> list[str]:
    return [k for k in known if k in record] + sorted(k for k in record if k not in known)


def _join_entries(entries: list[list[str]]) -> list[str]:
    """Concatenate multi-line entries, putting a comma after all but the last."""
    lines: list[str] = []
    for index, entry in enumerate(entries):
        lines.extend(entry[:-1])
        lines.append(entry[-1] + ("," if index < len(entries) - 1 else ""))
    return lines


def _format_tile(tile: Any) -> str:
    if not isinstance(tile, dict):
        return _compact(tile)
    fields = (f"{_compact(k)}:{_compact(tile[k])}" for k in _ordered_keys(tile, TILE_KEY_ORDER))
    return "{" + ",".join(fields) + "}"


def _tiles_entry(tiles: Any) -> list[str]:
    if not isinstance(tiles, list) or not all(isinstance(col, list) and col for col in tiles):
        return [f' "tiles": {_compact(tiles)}']
    columns = [["  [", *_join_entries([["   " + _format_tile(t)] for t in col]), "  ]"]
               for col in tiles]
    return [' "tiles": [', *_join_entries(columns), " ]"] if columns else [' "tiles": []']


def format_map(record: dict) -> str:
    """Return the file text of one map record: keys one per line, one tile per line."""
    keys = [k for k in _ordered_keys(record, MAP_KEY_ORDER) if k != "tiles"]
    entries = [[f" {_compact(k)}: {_compact(record[k])}"] for k in keys]
    if "tiles" in record:
        entries.append(_tiles_entry(record["tiles"]))
    return "\n".join(["{", *_join_entries(entries), "}"]) + "\n"


def _value_entry(key: str, value: Any, indent: str) -> list[str]:
    head = f"{indent}{_compact(key)}: "
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        inner = _join_entries([[indent + " " + _compact(v)] for v in value])
        return [head + "[", *inner, indent + "]"]
    return [head + _compact(value)]


def format_resource_list(name: str, records: list) -> str:
    """Return the file text of one resource list: one key per line inside each record."""
    known = RESOURCE_KEY_ORDER.get(name, ())
    entries = []
    for record in records:
        if not isinstance(record, dict) or not record:
            entries.append([" " + _compact(record)])
            continue
        fields = [_value_entry(k, record[k], "  ") for k in _ordered_keys(record, known)]
        entries.append([" {", *_join_entries(fields), " }"])
    if not entries:
        return "[]\n"
    return "\n".join(["[", *_join_entries(entries), "]"]) + "\n"


# ---------------------------------------------------------------- files


def _write_text(path: pathlib.Path, text: str) -> None:
    """Write atomically, and not at all when the file already holds `text`."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    staging = path.with_name(path.name + ".tmp")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


def write_world(directory: pathlib.Path, maps: dict[int, dict], resources: dict[str, list]) -> None:
    """Write `maps/<id>.json` for every map and `<name>.json` for every resource list.

    Map files in `maps/` whose id is not in `maps` are removed, so the directory
    holds exactly this world. A missing resource list is written as `[]`.
    """
    directory = pathlib.Path(directory)
    maps_dir = directory / "maps"
    maps_dir.mkdir(parents=True, exist_ok=True)
    for map_id, record in maps.items():
        _write_text(maps_dir / f"{int(map_id)}.json", format_map(record))
    wanted = {f"{int(map_id)}.json" for map_id in maps}
    for path in maps_dir.glob("*.json"):
        if _MAP_FILE_NAME.fullmatch(path.name) and path.name not in wanted:
            path.unlink()
    for name in RESOURCE_NAMES:
        _write_text(directory / f"{name}.json", format_resource_list(name, resources.get(name, [])))


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict:
    record = dict(pairs)
    if len(record) != len(pairs):
        raise ValueError("duplicate key in an object")
    return record


def _load_json(path: pathlib.Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: file is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_object)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path}: not valid JSON: {message}") from None


def read_world(directory: pathlib.Path) -> tuple[dict[int, dict], dict[str, list]]:
    """Read a world directory written by `write_world`.

    Returns (maps by id in id order, resource lists by name). Raises ValueError
    with a one-line message naming the file when a file is missing, is not
    JSON, or has the wrong outer shape. Content is not checked: see
    `validate_world`.
    """
    directory = pathlib.Path(directory)
    maps_dir = directory / "maps"
    if not maps_dir.is_dir():
        raise ValueError(f"{maps_dir}: maps directory is missing")
    maps: dict[int, dict] = {}
    for path in maps_dir.glob("*.json"):
        if not _MAP_FILE_NAME.fullmatch(path.name):
            raise ValueError(f"{path}: a map file must be named <map id>.json")
        record = _load_json(path)
        if not isinstance(record, dict):
            raise ValueError(f"{path}: a map file must hold one JSON object")
        maps[int(path.stem)] = record
    resources: dict[str, list] = {}
    for name in RESOURCE_NAMES:
        path = directory / f"{name}.json"
        records = _load_json(path)
        if not isinstance(records, list):
            raise ValueError(f"{path}: a resource file must hold one JSON array")
        resources[name] = records
    return dict(sorted(maps.items())), resources


# ---------------------------------------------------------------- checking


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
    if not _check_fields(where, pos, _POSITION_KINDS, problems):
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
        _check_fields(f"{where} vitals", record["vitals"], _VITALS_KINDS, problems)
        _check_fields(f"{where} stats", record["stats"], _STATS_KINDS, problems)
    if name == "professions":
        _check_position(f"{where} start_pos", record["start_pos"], maps, problems,
                        floor_only=True)
    elif name == "items":
        _check_fields(f"{where} data", record["data"], _ITEM_DATA_KINDS, problems)
        if not -1 <= record["repair_id"] < counts["items"]:
            problems.append(f"{where}: repair_id {record['repair_id']} does not exist")
    elif name == "npcs":
        _check_item_entries(where, record["drop_items"], _DROP_KINDS, counts["items"], problems)
        if record["move_amount"] < 1:
            problems.append(f"{where}: move_amount must be at least 1")
    elif name == "shops":
        _check_item_entries(where, record["trades"], _TRADE_KINDS, counts["items"], problems)


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
            if _check_fields(where, record, _RESOURCE_FIELD_KINDS[name], problems):
                _check_resource(name, where, record, maps, counts, problems)
    return problems
