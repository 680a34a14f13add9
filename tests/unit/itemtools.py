"""Helpers for the item and shop rule tests: the starter world's definitions, a
context that knows them, inventories, and script hooks that answer as told."""
from __future__ import annotations

import json
from pathlib import Path

from cluster import records
from maptools import NOW_MS, context

from scripting.returns import NOT_RUN

STARTER = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
ITEMS = json.loads((STARTER / "items.json").read_text(encoding="utf-8"))
SHOPS = json.loads((STARTER / "shops.json").read_text(encoding="utf-8"))

# Starter item ids used by the tests (storage/starter_world/items.json).
STICK, GOLD, HEALING_POTION, SHORT_SWORD, HUNTING_BOW = 0, 1, 2, 4, 5
LEATHER_CAP, SILVER_RING, ARROW, CRYPT_KEY, IRON_SWORD = 9, 12, 13, 14, 16
TILDA, BRANNOC = 0, 1  # shop ids


class ScriptedHooks:
    """Script hooks for a test: ``{(script, function): return value or callable}``; records each call."""

    def __init__(self, table: dict | None = None):
        self.table = dict(table or {})
        self.calls: list[tuple] = []

    def _first(self, script: str, functions) -> str | None:
        names = (functions,) if isinstance(functions, str) else functions
        return next((name for name in names if (script, name) in self.table), None)

    def has(self, script: str, functions) -> bool:
        return self._first(script, functions) is not None

    def call(self, ctx, runtime, effects, script: str, functions, args: tuple):
        name = self._first(script, functions)
        if name is None:
            return NOT_RUN
        self.calls.append((script, name, args))
        answer = self.table[(script, name)]
        return answer(*args) if callable(answer) else answer


def world(now_ms: int = NOW_MS, hooks: ScriptedHooks | None = None, items=None, shops=None):
    """A context with the starter items and shops (copies: a test may change them)."""
    ctx = context(now_ms=now_ms, shops=json.loads(json.dumps(shops if shops is not None else SHOPS)))
    ctx.items = json.loads(json.dumps(items if items is not None else ITEMS))
    if hooks is not None:
        ctx.hooks = hooks
    return ctx


def inventory(**slots) -> list:
    """30 empty slots, with ``s<n>=(item_id, amount, uses)`` filled in."""
    inv = [records.empty_inventory_slot() for _ in range(records.INVENTORY_SLOTS)]
    for name, (item_id, amount, uses) in slots.items():
        inv[int(name[1:])] = {"item_id": item_id, "amount": amount, "uses": uses}
    return inv


def full_bag(item_id: int = STICK, uses: int = 20) -> list:
    """Every bag slot (6..29) holding one of ``item_id``; equipment slots empty."""
    inv = inventory()
    for slot in range(6, records.INVENTORY_SLOTS):
        inv[slot] = {"item_id": item_id, "amount": 1, "uses": uses}
    return inv


def slot_packet(pid: int, slot_id: int, item_id: int, amount: int, uses: int) -> dict:
    """The exact 119 of PROTOCOL 3."""
    return {"type": 119, "player_id": pid, "slot_id": slot_id,
            "inv": {"item_id": item_id, "amount": amount, "uses": uses}}
