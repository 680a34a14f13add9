"""Shape checks of what the in-game editors send (PROTOCOL 2.3 types 12 to 18 and 26).

The original stored editor saves unvalidated. Here every check raises
``Malformed`` with the *first* problem, in words the editor can read; the
caller (``workers.rules.editors``) turns it into one red notice.

A map is checked for its shape only (PROTOCOL 4.3: every key with its JSON
type, 12x12 tiles of 10 layers, tile types 0 to 20, ids that must exist),
not for the world rules of ``storage.worldcheck`` (links that link back,
walkable borders, warp targets on walkable tiles): an editor saves one map
at a time, and the world may be half-built. A tile is a closed shape
(unknown keys refused); unknown top-level map keys pass through. Resource records (4.5) are
checked field by field where the server reads them; other fields (names,
sprites, descriptions) are the client's and pass through.

Everywhere, numbers must be JSON-safe: ints within the browser's exact
range (2**53 - 1), floats finite (Python's ``json`` reads ``NaN`` and
``1e999``, browsers refuse them), nesting at most ``MAX_DEPTH`` deep (the
wire's msgpack has a nesting limit). ``int`` never accepts a bool.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from cluster.records import (DROP_KINDS, ITEM_DATA_KINDS, LAYER_COUNT, MAP_FIELD_KINDS, MAP_SIZE,
                             NPC_SLOT_COUNT, OPTIONAL_MAP_FIELD_KINDS, POSITION_KINDS, RESOURCE_FIELD_KINDS,
                             STATS_KINDS, TILE_DATA_KINDS, TRADE_KINDS, VITALS_KINDS)
from cluster.tiles import MAX_TILE_TYPE
from workers.rules.context import RuleContext

RECORD_BYTES_LIMIT = 64 * 1024  # resources and scripts: the size of one client frame
MAX_DEPTH = 16
SAFE_INT = 2**53 - 1
SCRIPT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
LINK_KEYS = ("map_north_id", "map_east_id", "map_south_id", "map_west_id")
TILE_KEYS = {"layers": "list", "type": "int", "data": "dict"}
# Resource kind (as in requests and 102-105) → its list in RuleContext and in RESOURCE_FIELD_KINDS.
RESOURCE_LISTS = {"item": "items", "npc": "npcs", "shop": "shops", "profession": "professions"}

_KIND_TESTS = {
    "int": lambda v: type(v) is int,
    "number": lambda v: type(v) is int or (type(v) is float and math.isfinite(v)),
    "bool": lambda v: type(v) is bool,
    "str": lambda v: type(v) is str,
    "dict": lambda v: type(v) is dict,
    "list": lambda v: type(v) is list,
}
_KIND_WORDS = {"int": "an integer", "number": "a number", "bool": "true or false",
               "str": "a string", "dict": "an object", "list": "a list"}


class Malformed(ValueError):
    """The first thing wrong with what an editor sent."""


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise Malformed(problem)


def _short(name: Any) -> str:
    """A client-chosen key, cut short for a notice."""
    text = str(name)
    return text if len(text) <= 24 else text[:21] + "..."


def _typed(where: str, record: dict, kinds: dict[str, str], required: bool) -> None:
    """Each field of ``kinds`` has its JSON type; ``required`` also demands its presence."""
    for key, kind in kinds.items():
        if key not in record:
            _require(not required, f"{where}: {key} is missing")
        else:
            _require(_KIND_TESTS[kind](record[key]), f"{where}: {key} must be {_KIND_WORDS[kind]}")


def _object(where: str, value: Any, kinds: dict[str, str]) -> dict:
    """A nested object that must have all of ``kinds`` (a position, vitals, a trade...)."""
    _require(type(value) is dict, f"{where} must be an object")
    _typed(where, value, kinds, required=True)
    return value


def _in_range(value: int, low: int, high: int) -> bool:
    return low <= value <= high


def _utf8_ok(text: str) -> bool:
    """False for lone surrogates, which JSON allows and UTF-8 (the wire, storage) does not."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_plain_json(where: str, value: Any) -> None:
    """Numbers a browser and msgpack carry exactly, UTF-8 text, bounded nesting (iteratively)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if type(item) is dict:
            _require(depth <= MAX_DEPTH, f"{where}: nested more than {MAX_DEPTH} deep")
            _require(all(_utf8_ok(key) for key in item), f"{where}: a key is not valid text")
            pending.extend((child, depth + 1) for child in item.values())
        elif type(item) is list:
            _require(depth <= MAX_DEPTH, f"{where}: nested more than {MAX_DEPTH} deep")
            pending.extend((child, depth + 1) for child in item)
        elif type(item) is str:
            _require(_utf8_ok(item), f"{where}: a string is not valid text")
        elif type(item) is int:
            _require(abs(item) <= SAFE_INT, f"{where}: the number {_short(item)} is too large")
        elif type(item) is float:
            _require(math.isfinite(item), f"{where}: numbers must be finite")


# --- maps (PROTOCOL 4.3) --------------------------------------------------------------
def check_map(record: Any, ctx: RuleContext, map_id: int) -> None:
    """The shape of a map record saved over map ``map_id``; raises ``Malformed``."""
    _require(type(record) is dict, "the map must be an object")
    check_plain_json("map", record)
    _typed("map", record, MAP_FIELD_KINDS, required=True)
    _typed("map", record, OPTIONAL_MAP_FIELD_KINDS, required=False)
    maps = ctx.map_ids | {map_id}
    _check_tiles(record["tiles"], ctx, maps)
    for key in LINK_KEYS:
        _require(record[key] == -1 or record[key] in maps, f"{key} {record[key]} is not a map")
    for key in ("boot_map", "death_map"):
        _check_position(key, record[key], maps, allow_no_map=True)
    spawns = record["spawn_npc_ids"]
    _require(len(spawns) == NPC_SLOT_COUNT, f"spawn_npc_ids must have {NPC_SLOT_COUNT} entries")
    for slot, npc_id in enumerate(spawns):
        _require(type(npc_id) is int and _in_range(npc_id, -1, len(ctx.npcs) - 1),
                 f"spawn_npc_ids[{slot}] must be -1 or an NPC id")
    _require(record["music_id"] >= -1, "music_id must be -1 or more")
    if "shop_id" in record:
        _require(_in_range(record["shop_id"], -1, len(ctx.shops) - 1),
                 f"shop_id {record['shop_id']} is not a shop")


def _check_position(where: str, pos: Any, maps: frozenset, allow_no_map: bool) -> None:
    _object(where, pos, POSITION_KINDS)
    _require(_in_range(pos["x"], 0, MAP_SIZE - 1) and _in_range(pos["y"], 0, MAP_SIZE - 1),
             f"{where}: x and y must be 0 to {MAP_SIZE - 1}")
    _require(_in_range(pos["dir"], 0, 3), f"{where}: dir must be 0 to 3")
    _require((allow_no_map and pos["map_id"] == -1) or pos["map_id"] in maps,
             f"{where}: map {pos['map_id']} is not a map")


def _check_tiles(tiles: list, ctx: RuleContext, maps: frozenset) -> None:
    _require(len(tiles) == MAP_SIZE and all(type(column) is list and len(column) == MAP_SIZE
                                            for column in tiles),
             f"tiles must be {MAP_SIZE}x{MAP_SIZE}")
    for x, column in enumerate(tiles):
        for y, tile in enumerate(column):
            _check_tile(f"tile ({x},{y})", tile, ctx, maps)


def _check_tile(where: str, tile: Any, ctx: RuleContext, maps: frozenset) -> None:
    _require(type(tile) is dict, f"{where} must be an object")
    unknown = sorted(str(key) for key in tile if key not in TILE_KEYS)
    _require(not unknown, f"{where}: unknown key {_short(unknown[0]) if unknown else ''}")
    _typed(where, tile, TILE_KEYS, required=True)
    layers = tile["layers"]
    _require(len(layers) == LAYER_COUNT and all(type(v) is int and v >= -1 for v in layers),
             f"{where}: layers must be {LAYER_COUNT} integers of -1 or more")
    kind = tile["type"]
    _require(_in_range(kind, 0, MAX_TILE_TYPE), f"{where}: type must be 0 to {MAX_TILE_TYPE}")
    data = tile["data"]
    _typed(f"{where} data", data, TILE_DATA_KINDS.get(kind, {}), required=False)
    _check_tile_data(f"{where} data", kind, data, ctx, maps)


def _check_tile_data(where: str, kind: int, data: dict, ctx: RuleContext, maps: frozenset) -> None:
    """The ids and coordinates a tile's data holds, when present (4.3)."""
    last = MAP_SIZE - 1
    if kind in (3, 10):  # a warp's landing tile, a trigger's door tile
        _require(all(_in_range(data.get(axis, 0), 0, last) for axis in ("x", "y")),
                 f"{where}: x and y must be 0 to {last}")
    if kind == 3 and "map_id" in data:
        _require(data["map_id"] in maps, f"{where}: map {data['map_id']} is not a map")
    if kind in (4, 9) and "item_id" in data:
        _require(_in_range(data["item_id"], -1, len(ctx.items) - 1),
                 f"{where}: item {data['item_id']} is not an item")
    if kind == 4:
        _require(data.get("amount", 0) >= 0, f"{where}: amount must be 0 or more")
    if kind == 6:
        _require("npc_id" not in data or _in_range(data["npc_id"], 0, len(ctx.npcs) - 1),
                 f"{where}: NPC {data.get('npc_id')} is not an NPC")
        _require(_in_range(data.get("dir", -1), -1, 3), f"{where}: dir must be -1 to 3")
    if kind == 10:
        _require(data.get("cooldown", 0) >= 0, f"{where}: cooldown must be 0 or more")


# --- resources (PROTOCOL 4.5) ------------------------------------------------------------
def check_resource_id(kind: str, index: Any, ctx: RuleContext) -> None:
    """An existing id, or the list's length to append (fixes 8.24); never negative."""
    count = len(getattr(ctx, RESOURCE_LISTS[kind]))
    _require(type(index) is int and _in_range(index, 0, count),
             f"the {kind} id must be 0 to {count} ({count} appends a new one)")


def check_resource(kind: str, index: int, record: Any, ctx: RuleContext) -> None:
    """The fields the server reads of one item, NPC, shop or profession; raises ``Malformed``."""
    _require(type(record) is dict, f"the {kind} must be an object")
    check_plain_json(kind, record)
    size = len(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    _require(size < RECORD_BYTES_LIMIT, f"the {kind} is over {RECORD_BYTES_LIMIT // 1024} KB")
    _typed(kind, record, RESOURCE_FIELD_KINDS[RESOURCE_LISTS[kind]], required=False)
    _RESOURCE_CHECKS[kind](record, index, ctx)


def _non_negative(kind: str, record: dict, *keys: str) -> None:
    for key in keys:
        _require(record.get(key, 0) >= 0, f"{kind}: {key} must be 0 or more")


def _item_ids(where: str, entry: dict, ctx: RuleContext) -> None:
    for key, value in entry.items():
        if key.endswith("item_id"):
            _require(_in_range(value, 0, len(ctx.items) - 1), f"{where}: item {value} is not an item")


def _check_item(record: dict, index: int, ctx: RuleContext) -> None:
    _non_negative("item", record, "uses", "limit", "repair_cost")
    if "repair_id" in record:  # the currency may be the item being appended itself
        last = max(len(ctx.items), index + 1) - 1
        _require(_in_range(record["repair_id"], -1, last),
                 f"item: repair_id {record['repair_id']} is not an item")
    if "data" in record:
        _typed("item data", record["data"], ITEM_DATA_KINDS, required=False)


def _check_npc(record: dict, index: int, ctx: RuleContext) -> None:
    if "vitals" in record:
        _object("npc vitals", record["vitals"], VITALS_KINDS)
    if "stats" in record:
        _object("npc stats", record["stats"], STATS_KINDS)
    _require(record.get("move_amount", 1) >= 1, "npc: move_amount must be 1 or more")
    _non_negative("npc", record, "spawn_delay")
    for number, drop in enumerate(record.get("drop_items", [])):
        where = f"npc drop_items[{number}]"
        _object(where, drop, DROP_KINDS)
        _item_ids(where, drop, ctx)
        _require(drop["chance"] >= 0 and drop["amount"] >= 1,
                 f"{where}: chance must be 0 or more and amount 1 or more")


def _check_shop(record: dict, index: int, ctx: RuleContext) -> None:
    for number, trade in enumerate(record.get("trades", [])):
        where = f"shop trades[{number}]"
        _object(where, trade, TRADE_KINDS)
        _item_ids(where, trade, ctx)
        _require(trade["take_amount"] >= 1 and trade["give_amount"] >= 1,
                 f"{where}: amounts must be 1 or more")


def _check_profession(record: dict, index: int, ctx: RuleContext) -> None:
    if "start_pos" in record:
        _check_position("profession start_pos", record["start_pos"], ctx.map_ids,
                        allow_no_map=False)
    if "vitals" in record:
        _object("profession vitals", record["vitals"], VITALS_KINDS)
    if "stats" in record:
        _object("profession stats", record["stats"], STATS_KINDS)


_RESOURCE_CHECKS = {"item": _check_item, "npc": _check_npc, "shop": _check_shop,
                    "profession": _check_profession}


# --- scripts (type 26) ---------------------------------------------------------------------
def check_script(name: Any, script: Any) -> None:
    """A name of 1 to 64 letters, digits, ``_`` or ``-``, and a text under 64 KB."""
    _require(type(name) is str and SCRIPT_NAME.fullmatch(name) is not None,
             "the name must be 1 to 64 letters, digits, _ or -")
    _require(type(script) is str and _utf8_ok(script), "the script must be text")
    _require(len(script.encode("utf-8")) < RECORD_BYTES_LIMIT,
             f"the script is over {RECORD_BYTES_LIMIT // 1024} KB")
