"""A world stored as readable JSON files: read it and write it (``worldcheck`` checks it).

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

from cluster.records import DIRECTION_FLAGS, RESOURCE_FIELD_KINDS, RESOURCE_NAMES

# Map keys in file order; `tiles` always comes last, unknown keys just before it.
MAP_KEY_ORDER = (
    "name", "author", "map_north_id", "map_east_id", "map_south_id", "map_west_id",
    "boot_map", "death_map", "moral", "forbid_attack", "protect_npcs", "forbid_ranged",
    "indoors", "locked", "hall_id", "music_id", "spawn_npc_ids", "data", "shop_id", "treasure",
)
TILE_KEY_ORDER = ("layers", "type", "data")
RESOURCE_KEY_ORDER = {name: tuple(kinds) for name, kinds in RESOURCE_FIELD_KINDS.items()}
RESOURCE_KEY_ORDER["items"] = ("name", "desc", *RESOURCE_KEY_ORDER["items"][1:])
RESOURCE_KEY_ORDER["quests"] = ("name", "desc")
_MAP_FILE_NAME = re.compile(r"(0|[1-9][0-9]*)\.json")
# Key order inside values written on one line (positions, vitals, tile data, ...).
_NESTED_KEY_RANK = {key: rank for rank, key in enumerate((
    "x", "y", "dir", "map_id", "hp", "mp", "sp", "str", "def", "mag", "spd",
    "take_item_id", "take_amount", "give_item_id", "give_amount", "item_id", "chance", "amount",
    "min_damage", "max_damage", "min_protection", "max_protection", "tile_range",
    *(f"block_{d}" for d in DIRECTION_FLAGS), *(f"lock_{d}" for d in DIRECTION_FLAGS)))}

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

SCRIPT_FILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\.py", re.ASCII)

def read_scripts(directory: pathlib.Path) -> dict[str, str]:
    """The admin scripts of a world directory: ``scripts/<name>.py``, none if it has no such folder."""
    scripts_dir = pathlib.Path(directory) / "scripts"
    if not scripts_dir.is_dir():
        return {}
    scripts = {}
    for path in sorted(scripts_dir.glob("*.py")):
        if not SCRIPT_FILE_NAME.fullmatch(path.name):
            raise ValueError(f"{path}: a script file must be named <name>.py (letters, digits, _ or -)")
        try:
            scripts[path.stem] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read: {exc}") from None
    return scripts

def write_scripts(directory: pathlib.Path, scripts: dict[str, str]) -> None:
    """Write ``scripts/<name>.py`` for every script; other ``.py`` files there are removed."""
    scripts_dir = pathlib.Path(directory) / "scripts"
    scripts_dir.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        _write_text(scripts_dir / f"{name}.py", text)
    for path in scripts_dir.glob("*.py"):
        if path.stem not in scripts:
            path.unlink()

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
