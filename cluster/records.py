"""Record shapes of PROTOCOL.md section 4, with their defaults in one place.

Records are the JSON objects the client sees, so they stay plain dicts on
the wire and on disk; these functions are the only place that builds a new
one, always as a fresh object (no shared templates: PROTOCOL 8, bugs 31–33).
"""
from __future__ import annotations

import time
from typing import Any

MAP_SIZE = 12
INVENTORY_SLOTS = 30
CHARACTER_SLOTS = 3
MAP_ITEM_SLOTS = 200
NPC_SLOTS = 20
DOOR_SLOTS = 20
SHOT_SLOTS = 50
TILE_LAYERS = 10

DEFAULT_SETTINGS: dict[str, Any] = {
    "toggle_move_lock": False,
    "font_size": 2,
    "sound_volume": 50,
    "music_volume": 50,
    "keep_chat_focus": False,
    "keep_chat_channel": True,
    "play_transition_sounds": True,
    "play_environment_sounds": False,
    "toggle_run": True,
}


# --- field types of world records (PROTOCOL 4.3–4.5), shared by every role ----------
# The world checks (storage.worldcheck), the in-game editors (workers.rules.editor_checks)
# and the world files (storage.worldfiles) all read these tables.
LAYER_COUNT = TILE_LAYERS
NPC_SLOT_COUNT = NPC_SLOTS
RESOURCE_NAMES = ("professions", "items", "npcs", "shops", "quests")

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

DIRECTION_FLAGS = ("south", "west", "east", "north")  # per-direction tile flags, by dir index
# The JSON type of the fields of nested records (PROTOCOL 4.2–4.5).
POSITION_KINDS = {"x": "int", "y": "int", "dir": "int", "map_id": "int"}
VITALS_KINDS = {"hp": "number", "mp": "number", "sp": "number"}
STATS_KINDS = {"str": "number", "def": "number", "mag": "number", "spd": "number"}
ITEM_DATA_KINDS = {"min_damage": "number", "max_damage": "number", "min_protection": "number",
                    "max_protection": "number", "tile_range": "number"}
DROP_KINDS = {"item_id": "int", "chance": "number", "amount": "int"}
TRADE_KINDS = {"take_item_id": "int", "take_amount": "int", "give_item_id": "int",
                "give_amount": "int"}

# Tile `data` keys by tile type (PROTOCOL 4.3).
TILE_DATA_KINDS: dict[int, dict[str, str]] = {
    1: {"block_ranged": "bool"},
    2: {f"block_{d}": "bool" for d in DIRECTION_FLAGS},
    3: {"map_id": "int", "x": "int", "y": "int"},
    4: {"item_id": "int", "amount": "int"},
    6: {"npc_id": "int", "dir": "int"},
    9: {"item_id": "int", **{f"lock_{d}": "bool" for d in DIRECTION_FLAGS}},
    10: {"x": "int", "y": "int", "cooldown": "int"},
    15: {"blocked": "bool"},
    17: {"sprite": "int"},
}

# The fields of each resource record the server reads (PROTOCOL 4.5), in file
# order, with their JSON types; quests are opaque to the server.
RESOURCE_FIELD_KINDS = {
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


def position(x: int = 0, y: int = 0, direction: int = 0, map_id: int = 0) -> dict:
    return {"x": x, "y": y, "dir": direction, "map_id": map_id}


def vitals(hp: float = 1, mp: float = 1, sp: float = 1) -> dict:
    return {"hp": hp, "mp": mp, "sp": sp}


def empty_inventory_slot() -> dict:
    return {"item_id": -1, "amount": 0, "uses": 0}


def new_character() -> dict:
    """A blank character slot (4.2); ``name`` "" marks the slot unused."""
    return {
        "name": "",
        "desc": "",
        "access": 0,
        "color": "#d3d3d3",
        "sprite": 0,
        "swap_sprite": -1,
        "gender": 0,
        "profession_id": 0,
        "level": 1,
        "exp": 0,
        "train_points": 0,
        "stats": {"str": 0, "def": 0, "mag": 0, "spd": 0},
        "vitals": vitals(),
        "max_vitals": vitals(),
        "pos": position(),
        "inv": [empty_inventory_slot() for _ in range(INVENTORY_SLOTS)],
        "killer": False,
        "guild_id": -1,
        "birthdate": int(time.time()),
        "quest_log": [False] * 10,
        "data": {},
    }


def new_account(email: str) -> dict:
    """An account record (4.1) as the client sees it; the password never is one."""
    now = int(time.time())
    return {
        "email": email,
        "password": "",
        "username": "",
        "code": "",
        "reset_password": "",
        "reset_date": now,
        "last_login": "",
        "account_created": now,
        "ignore_players": [],
        "settings": dict(DEFAULT_SETTINGS),
        "players": [new_character() for _ in range(CHARACTER_SLOTS)],
    }


def new_tile() -> dict:
    return {"layers": [-1] * TILE_LAYERS, "type": 0, "data": {}}


def new_map(name: str = "") -> dict:
    """A map record (4.3) with every key and fresh objects."""
    return {
        "name": name,
        "author": "",
        "tiles": [[new_tile() for _y in range(MAP_SIZE)] for _x in range(MAP_SIZE)],
        "map_north_id": -1,
        "map_east_id": -1,
        "map_south_id": -1,
        "map_west_id": -1,
        "boot_map": position(map_id=-1),
        "death_map": position(map_id=-1),
        "moral": 0,
        "forbid_attack": False,
        "protect_npcs": False,
        "forbid_ranged": False,
        "indoors": False,
        "locked": False,
        "hall_id": -1,
        "music_id": -1,
        "spawn_npc_ids": [-1] * NPC_SLOTS,
        "data": {},
    }


def empty_map_item() -> dict:
    return {"item_id": -1, "amount": 0, "uses": 0, "x": 0, "y": 0}


def empty_npc_slot() -> dict:
    return {"npc_id": -1, "sprite": 0, "scale": 1, "vitals": vitals(0, 0, 0), "pos": position()}


def empty_door() -> dict:
    return {"x": -1, "y": -1}


def empty_shot() -> dict:
    return {"shooter_type": 0, "shooter_id": -1, "item_id": -1, "pos": position()}


# --- hidden runtime state (PROTOCOL 4.4): never sent to the client ---------------
def npc_state() -> dict:
    """What a map keeps per NPC slot besides the visible slot and its aggro table."""
    return {"next_tick_ms": 0, "respawn_at_ms": 0, "tile": "", "speed_modifier": 0, "data": {}}


def shot_state() -> dict:
    """A projectile's hidden fields: its next step, the steps left and its current tile."""
    return {"next_tick_ms": 0, "moves_left": 0, "x": 0, "y": 0, "dir": 0}


def item_spawn_state() -> dict:
    """An item-spawn tile (type 4): its map-item slot (-1: none present) and when it may respawn."""
    return {"slot": -1, "respawn_at_s": 0.0}
