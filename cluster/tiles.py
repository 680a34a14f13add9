"""Tile types and walkability (PROTOCOL 5.1.3), and directional blocks: the world schema every role reads.

Three columns: may a player enter, may the NPC pathfinder (A*) enter, may an
NPC wander or spawn there. Types 21 and up are blocked for everyone.
"""
from __future__ import annotations

FLOOR, WALL, DIRECTIONAL, WARP, ITEM_SPAWN = 0, 1, 2, 3, 4
NPC_SPAWN, DOOR, TRIGGER, CONDITIONAL_WALL, SPRITE_SWAP, NPC_ONLY = 6, 9, 10, 15, 17, 20

_PLAYER_BLOCKED = {WALL, 16, 18, 19, NPC_ONLY}
_ASTAR_BLOCKED = {WALL, WARP, 8, 16, 18, 19}
_WANDER_BLOCKED = {WALL, WARP, NPC_SPAWN, 8, DOOR, 12, 13, 14, 16, 18, 19}

# dir → (dx, dy); 0 south, 1 west, 2 east, 3 north (PROTOCOL 0.3)
STEPS = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}
SIDES = {0: "south", 1: "west", 2: "east", 3: "north"}
OPPOSITE = {0: 3, 1: 2, 2: 1, 3: 0}
MAX_TILE_TYPE = 20


def _enterable(tile: dict, blocked: set) -> bool:
    kind = tile.get("type", 0)
    if kind > MAX_TILE_TYPE or kind in blocked:
        return False
    if kind == CONDITIONAL_WALL:
        return not tile.get("data", {}).get("blocked", False)
    return True


def player_may_enter(tile: dict) -> bool:
    return _enterable(tile, _PLAYER_BLOCKED)


def astar_may_enter(tile: dict, direction: int) -> bool:
    if tile.get("type", 0) == DOOR:
        return tile.get("data", {}).get(f"lock_{SIDES[direction]}") is False
    return _enterable(tile, _ASTAR_BLOCKED)


def wander_may_enter(tile: dict) -> bool:
    return _enterable(tile, _WANDER_BLOCKED)


def blocks_leaving(tile: dict, direction: int) -> bool:
    """A type-2 block or a type-9 lock on the side the mover leaves by."""
    data = tile.get("data", {})
    side = SIDES[direction]
    kind = tile.get("type", 0)
    if kind == DIRECTIONAL:
        return bool(data.get(f"block_{side}", False))
    if kind == DOOR:
        return bool(data.get(f"lock_{side}", False))
    return False


def blocks_entering(tile: dict, direction: int) -> bool:
    """Entering a tile travelling in ``direction``: a type-2 block on the side
    the mover comes in by, or a type-9 lock in the travel direction."""
    data = tile.get("data", {})
    kind = tile.get("type", 0)
    if kind == DIRECTIONAL:
        return bool(data.get(f"block_{SIDES[OPPOSITE[direction]]}", False))
    if kind == DOOR:
        return bool(data.get(f"lock_{SIDES[direction]}", False))
    return False
