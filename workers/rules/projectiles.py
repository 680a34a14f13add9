"""Projectiles (PROTOCOL 5.10): 50 shot slots, 150 ms steps, hit checks.  (Contract stub.)"""
from __future__ import annotations

from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime

SHOOTER_NONE, SHOOTER_PLAYER, SHOOTER_NPC = 0, 1, 2


def fire(runtime: MapRuntime, effects: Effects, ctx: RuleContext, shooter_type: int, shooter_id: int,
         x: int, y: int, direction: int, item_id: int) -> int:
    """shootProjectile: the shot's slot, or -1 when all 50 are in flight."""
    raise NotImplementedError


def tick(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Tick part: step every shot that is due."""
    raise NotImplementedError


def next_due_ms(runtime: MapRuntime) -> int | None:
    raise NotImplementedError
