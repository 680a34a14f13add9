"""Helpers shared by the NPC, pathfinding and projectile tests: world lists, NPCs placed on a map, scripts."""
from __future__ import annotations

import json
import random
from pathlib import Path

from maptools import context
from scripting.hooks import ScriptHooks
from workers.runtime import EVERYONE, Effects, MapRuntime

STARTER_WORLD = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
RAT, SLIME, WOLF, SKELETON = 0, 1, 2, 5  # ids in the starter world's npcs.json
GOLD, POTION, BOW, ARROW, SWORD, ARMOUR = 1, 2, 5, 13, 4, 7  # ids in its items.json


def starter(kind: str) -> list:
    return json.loads((STARTER_WORLD / f"{kind}.json").read_text())


def world(seed: int = 1, now_ms: int | None = None, npcs: list | None = None, scripts: dict | None = None):
    """A rule context with the starter world's NPCs and items, a seeded rng and, optionally, scripts."""
    ctx = context() if now_ms is None else context(now_ms=now_ms)
    ctx.npcs = starter("npcs") if npcs is None else npcs
    ctx.items = starter("items")
    ctx.rng = random.Random(seed)
    if scripts:
        ctx.hooks = hooks_with(scripts)
    return ctx


def hooks_with(scripts: dict) -> ScriptHooks:
    hooks = ScriptHooks(budget_ms=1000)
    for name, source in scripts.items():
        assert hooks.update(name, source) is None
    return hooks


def ask(ctx, script: str, function: str, *args):
    """Call a helper function of a loaded script (a counter it keeps) and return its answer."""
    return ctx.hooks.call(ctx, None, Effects(), script, function, args)


def put_npc(runtime: MapRuntime, slot: int, npc_id: int, x: int, y: int, direction: int = 0,
            hp: int = 10, next_tick_ms: int = 0, **state) -> dict:
    """A living NPC in ``slot`` (no packet), due at ``next_tick_ms``."""
    runtime.npcs[slot] = {"npc_id": npc_id, "sprite": 101, "scale": 1,
                          "vitals": {"hp": hp, "mp": 0, "sp": 0},
                          "pos": {"x": x, "y": y, "dir": direction, "map_id": runtime.map_id}}
    runtime.npc_state[slot].update(next_tick_ms=next_tick_ms, **state)
    return runtime.npcs[slot]


def to_map(effects: Effects, runtime: MapRuntime) -> list[dict]:
    """The packets sent to every player of the map (each checked to reach all of them), in order."""
    everyone = set(runtime.players)
    sent = []
    for pids, packet in effects.messages:
        if pids is EVERYONE or set(pids) == everyone:
            sent.append(packet)
    return sent


def walls_everywhere_but(runtime: MapRuntime, *open_tiles: tuple[int, int]) -> None:
    for x in range(12):
        for y in range(12):
            kind = 0 if (x, y) in open_tiles else 1
            runtime.record["tiles"][x][y] = {"layers": [-1] * 10, "type": kind, "data": {}}
