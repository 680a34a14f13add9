"""Client packet types (PROTOCOL.md sections 2 and 3) and the S→C builders.

This is the only module that shapes JSON for the client. Builders return
plain dicts in the field order of PROTOCOL.md section 3; ``encode`` turns
one into the bytes of a text frame. Map ids always go out as numbers
(PROTOCOL 0.2: "A new server should always send numbers").
"""
from __future__ import annotations

import json
import re
from typing import Any

try:  # one fast, strict parser and encoder for every client frame; the standard library if absent
    import orjson
except ImportError:  # pragma: no cover - orjson has wheels for every platform we run on
    orjson = None

# --- client → server (PROTOCOL 2) -------------------------------------------
CREATE_ACCOUNT = 0
LOGIN = 1
DELETE_CHARACTER = 2
CREATE_CHARACTER = 3
ENTER_GAME = 4
CHAT = 5
MOVE = 6
ATTACK = 7
TRAIN = 8
USE_ITEM = 9
PICKUP = 10
SHOP_TRADE = 11
SAVE_MAP = 12
SAVE_ITEM = 13
SAVE_NPC = 14
SAVE_SHOP = 15
SAVE_PROFESSION = 18
DROP_ITEM = 20
CLICK_TILE = 22
SAVE_SETTINGS = 23
REPAIR = 24
SAVE_SCRIPT = 26
SELL = 31
HACK_REPORT = 32

ACCOUNT_TYPES = range(0, 5)  # handled by storage; >= 5 by the map

# --- windows (100 `win`) -----------------------------------------------------
WIN_LOGIN = "winLogin"
WIN_MESSAGE = "winMessage"
WIN_SELECT_PLAYER = "winSelectPlayer"
WIN_GAME = "winGame"
WIN_MAP_PROPERTIES = "winMapProperties"
WIN_PROFESSION_EDITOR = "winProfessionEditor"
WIN_SHOP_EDITOR = "winShopEditor"
WIN_ITEM_EDITOR = "winItemEditor"
WIN_NPC_EDITOR = "winNPCEditor"
WIN_SCRIPT_EDITOR = "winScriptEditor"
WIN_RECYCLE = "winRecycle"
WIN_REPAIR = "winRepair"

# --- chat colours and channels used by the rules -----------------------------
CHANNEL_GENERAL = 0
CHANNEL_NOTICE = 1
CHANNEL_COMBAT = 4
COLOR_WHITE = "#ffffff"
COLOR_GREY = "#696969"
COLOR_YELLOW = "#ffff00"
COLOR_SHOPKEEPER = "#d3d3d3"
COLOR_RED = "#ff0000"  # command errors and usage notices
COLOR_MAGENTA = "#ff00ff"  # global chat, "map is full"
COLOR_GREEN = "#00ff00"  # whispers
COLOR_BLUE = "#0000ff"  # /setaccess confirmation
COLOR_CYAN = "#00ffff"  # "you cannot use this item", spells
COLOR_SIENNA = "#a0522d"  # level-up notices

SOUND_MAP_CHANGE = 0
SOUND_HIT = 1
SOUND_NPC_DEATH = 2
SOUND_PLAYER_DEATH = 3
SOUND_MISS = 4

SHOT_STEP_MS = 150  # 127 `speed` is always this (PROTOCOL 5.10)


def encode(packet: dict[str, Any]) -> bytes:
    """The UTF-8 JSON text of one frame. What is not JSON never reaches a client: a lone surrogate
    (or a value of no JSON type) raises ValueError / TypeError; NaN and infinity raise with the
    standard library and become null with orjson."""
    if orjson is not None:
        return orjson.dumps(packet, option=orjson.OPT_NON_STR_KEYS)
    return json.dumps(packet, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def decode(raw: bytes | str) -> Any:
    """A client frame's JSON; ValueError unless it is strict JSON: no NaN or Infinity, no lone
    surrogate, not nested deeper than the parser allows. orjson parses (and refuses) nearly every
    frame; what it refuses is parsed again by ``decode_exact``. orjson reads an integer over 64
    bits as a float: a caller to whom that matters parses such a frame again with ``decode_exact``."""
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the standard library decides, and says why
    return decode_exact(raw)


def decode_exact(raw: bytes | str) -> Any:
    """``decode`` with the standard library: integers of any size stay integers."""
    try:
        value = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if _SURROGATE_ESCAPE.search(raw if isinstance(raw, str) else raw.decode("utf-8", "replace")) \
            and not _is_unicode(value):
        raise ValueError("a lone surrogate")
    return value


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


# A JSON escape of a UTF-16 surrogate: the text may hold a lone one, which is not Unicode.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _is_unicode(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_is_unicode(key) and _is_unicode(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_unicode(item) for item in value)
    return True


def window(win: str, message: str = "") -> dict:
    """100: switch the client to a window, optionally with a message."""
    return {"type": 100, "win": win, "message": message}


BUSY_MESSAGE = "The server is busy, please try again in a moment."


def busy() -> dict:
    """100 winLogin: a login or account creation refused for overload (the client may retry)."""
    return window(WIN_LOGIN, BUSY_MESSAGE)


def account_data(player_id: int, account: dict) -> dict:
    """101: the account record (its password is always "")."""
    return {"type": 101, "account_id": player_id, "account": account}


def resource_list(kind: str, records: list) -> dict:
    """102–105 and 139 full lists: kind is profession, item, npc, shop or quest."""
    return {"type": _RESOURCE_TYPES[kind], kind: records}


def resource_single(kind: str, index: int, record: dict) -> dict:
    """102–105 single-entry update."""
    return {"type": _RESOURCE_TYPES[kind], kind: record, f"{kind}_id": index}


_RESOURCE_TYPES = {"profession": 102, "item": 103, "npc": 104, "shop": 105, "quest": 139}


def map_data(map_id: int, map_record: dict) -> dict:
    """106: a whole map record."""
    return {"type": 106, "map_id": map_id, "map": map_record}


def own_character(player_id: int, player: dict) -> dict:
    """109: the player's own character record."""
    return {"type": 109, "player_id": player_id, "player": player}


def spawn_player(player_id: int, player: dict) -> dict:
    """110: show or refresh a player."""
    pos = player["pos"]
    return {
        "type": 110,
        "player_id": player_id,
        "name": player["name"],
        "sprite": player["sprite"],
        "guild_id": player["guild_id"],
        "access": player["access"],
        "color": player["color"],
        "killer": player["killer"],
        "vitals": dict(player["vitals"]),
        "max_vitals": dict(player["max_vitals"]),
        "pos": {"x": pos["x"], "y": pos["y"], "dir": pos["dir"], "map_id": pos["map_id"]},
    }


def despawn_player(player_id: int, map_id: int) -> dict:
    """111: a player left the map."""
    return {"type": 111, "player_id": player_id, "map_id": map_id}


def map_items(map_id: int, items: list) -> dict:
    """112 full: all 200 map-item slots."""
    return {"type": 112, "map_id": map_id, "map_items": items}


def map_item(map_id: int, slot_id: int, item: dict) -> dict:
    """112 single: one map-item slot."""
    return {"type": 112, "map_id": map_id, "slot_id": slot_id, "map_items": item}


def map_npcs(map_id: int, npcs: list) -> dict:
    """113 full: all 20 NPC slots."""
    return {"type": 113, "map_id": map_id, "map_npcs": npcs}


def map_npc(map_id: int, slot_id: int, npc: dict) -> dict:
    """113 single: one NPC slot."""
    return {"type": 113, "map_id": map_id, "slot_id": slot_id, "map_npcs": npc}


def chat(text: str, channel: int = CHANNEL_GENERAL, color: str = COLOR_WHITE, temp: bool = False) -> dict:
    """114: a chat line or notice."""
    return {"type": 114, "channel_id": channel, "color": color, "temp": temp, "text": text}


def player_moved(player_id: int, x: int, y: int, direction: int, speed: Any) -> dict:
    """115: a player's position (only these fields, never what else the client sent)."""
    return {"type": 115, "player_id": player_id, "x": x, "y": y, "dir": direction, "speed": speed}


def doors(map_id: int, door_slots: list) -> dict:
    """122: the map's 20 door slots."""
    return {"type": 122, "map_id": map_id, "map_doors": door_slots}


def sound(sound_id: int) -> dict:
    """123: play a sound."""
    return {"type": 123, "sound_id": sound_id}


def music(music_id: int) -> dict:
    """124: play music."""
    return {"type": 124, "music_id": music_id}


def shots(map_id: int, shot_slots: list) -> dict:
    """126 full: all 50 projectile slots."""
    return {"type": 126, "map_id": map_id, "map_shots": shot_slots}


def script_for_editing(name: str, script: str) -> dict:
    """138: a script's text for the editor ("" if there is none)."""
    return {"type": 138, "name": name, "script": script}


def player_attack(player_id: int, speed: int = 1000) -> dict:
    """116: a player's attack animation."""
    return {"type": 116, "player_id": player_id, "speed": speed}


def npc_attack(map_id: int, slot_id: int, speed: int = 1000) -> dict:
    """117: an NPC's attack animation."""
    return {"type": 117, "map_id": map_id, "slot_id": slot_id, "speed": speed}


def npc_moved(map_id: int, slot_id: int, x: int, y: int, direction: int, speed: Any) -> dict:
    """118: an NPC steps from (x, y) in ``dir`` taking ``speed`` ms, or only turns (speed 0)."""
    return {"type": 118, "map_id": map_id, "slot_id": slot_id, "x": x, "y": y, "dir": direction,
            "speed": speed}


def inventory_slot(player_id: int, slot_id: int, slot: dict) -> dict:
    """119: one inventory slot, to its owner."""
    return {"type": 119, "player_id": player_id, "slot_id": slot_id,
            "inv": {"item_id": slot["item_id"], "amount": slot["amount"], "uses": slot["uses"]}}


def player_vitals(player_id: int, player: dict) -> dict:
    """120: a player's current and max vitals."""
    return {"type": 120, "player_id": player_id, "vitals": dict(player["vitals"]),
            "max_vitals": dict(player["max_vitals"])}


def npc_vitals(map_id: int, slot_id: int, vitals: dict, max_vitals: dict) -> dict:
    """121: an NPC's vitals; max_vitals are its definition's."""
    return {"type": 121, "map_id": map_id, "slot_id": slot_id, "vitals": dict(vitals),
            "max_vitals": dict(max_vitals)}


def shot(map_id: int, slot_id: int, shot_slot: dict) -> dict:
    """126 single: one projectile slot (fired or removed)."""
    return {"type": 126, "map_id": map_id, "slot_id": slot_id, "map_shots": shot_slot}


def shot_step(map_id: int, slot_id: int, x: int, y: int, direction: int) -> dict:
    """127: a projectile moved to the **new** tile (x, y)."""
    return {"type": 127, "map_id": map_id, "slot_id": slot_id, "x": x, "y": y, "dir": direction,
            "speed": SHOT_STEP_MS}


def _text(text: str, color: str, x: int = 0, y: int = 0) -> dict:
    return {"text": text, "color": color, "x": x, "y": y}


def tile_text(map_id: int, text: str, color: str, x: int, y: int) -> dict:
    """130: floating text on a tile."""
    return {"type": 130, "map_id": map_id, "map_text": _text(text, color, x, y)}


def player_text(map_id: int, player_id: int, text: str, color: str) -> dict:
    """131: floating text over a player."""
    return {"type": 131, "map_id": map_id, "player_id": player_id, "map_text": _text(text, color)}


def npc_text(map_id: int, slot_id: int, text: str, color: str) -> dict:
    """132: floating text over an NPC."""
    return {"type": 132, "map_id": map_id, "slot_id": slot_id, "map_text": _text(text, color)}


def _effect(sprite: int, x: int, y: int) -> dict:
    return {"sprite": sprite, "x": x, "y": y}


def player_effect(player_id: int, sprite: int, x: int, y: int, speed: int = 500) -> dict:
    """133: an effect on a player."""
    return {"type": 133, "player_id": player_id, "map_effect": _effect(sprite, x, y), "speed": speed}


def npc_effect(map_id: int, slot_id: int, sprite: int, x: int, y: int, speed: int = 500) -> dict:
    """134: an effect on an NPC."""
    return {"type": 134, "map_id": map_id, "slot_id": slot_id, "map_effect": _effect(sprite, x, y),
            "speed": speed}


def map_effect(map_id: int, sprite: int, x: int, y: int, speed: int = 500) -> dict:
    """135: an effect on the map."""
    return {"type": 135, "map_id": map_id, "map_effect": _effect(sprite, x, y), "speed": speed}


def experience(player_id: int, exp: int) -> dict:
    """137: the player's new exp total."""
    return {"type": 137, "player_id": player_id, "exp": exp}
