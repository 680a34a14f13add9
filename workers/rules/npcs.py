"""NPCs (PROTOCOL 5.5): map-slot and tile spawns, the AI tick, death, exp and drops.  (Contract stub.)"""
from __future__ import annotations

from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime


def tick(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Tick part (5.9 step 5): map-slot spawns and the AI of every NPC that is due."""
    raise NotImplementedError


def deaths(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Event pass, first: every NPC with hp <= 0 and npc_id > -1 dies (5.5.2)."""
    raise NotImplementedError


def tile_spawn(runtime: MapRuntime, effects: Effects, ctx: RuleContext, x: int, y: int, tile: dict) -> None:
    """Event pass: a type-6 tile spawns its NPC when it owns none (5.5.1 B)."""
    raise NotImplementedError


def next_due_ms(runtime: MapRuntime, ctx: RuleContext) -> int | None:
    """The earliest AI tick or map-slot respawn of this map (ms), or None."""
    raise NotImplementedError


def set_aggro(runtime: MapRuntime, slot: int, pid: int, amount: int) -> None:
    """setAggro: 0 (or less) removes the entry."""
    raise NotImplementedError


def add_aggro(runtime: MapRuntime, slot: int, pid: int, amount: int) -> None:
    raise NotImplementedError
