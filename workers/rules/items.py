"""Items (PROTOCOL 5.3): pickup (10), drop (20), use / equip / keys (9), stacking,
item-spawn tiles (type 4) and treasure maps.  (Contract stub: being written.)"""
from __future__ import annotations

from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime, PlayerOnMap

STACKABLE_TYPES = (0, 6)
EQUIPMENT_SLOTS = 6  # inventory slots 0..5 are equipment, 6..29 the bag


def handle_pickup(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 10; a dead player revives instead (``life.try_revive``)."""
    raise NotImplementedError


def handle_drop(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 20."""
    raise NotImplementedError


def handle_use(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 9: use, equip / unequip, keys."""
    raise NotImplementedError


def first_free_bag_slot(inventory: list) -> int:
    """The first empty slot with index > 5, or -1."""
    raise NotImplementedError


def spawn_tile(runtime: MapRuntime, effects: Effects, ctx: RuleContext, x: int, y: int, tile: dict) -> None:
    """Event pass: a type-4 tile spawns its item when due (5.3.5)."""
    raise NotImplementedError


def next_spawn_due_ms(runtime: MapRuntime) -> int | None:
    """The earliest time (ms) an item-spawn tile of this map is due to respawn, or None."""
    raise NotImplementedError
