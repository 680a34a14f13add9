"""Helpers shared by the editor tests: the starter world's lists, a map of staff, and the send."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from maptools import character, context, runtime_with

from workers.rules import HANDLERS
from workers.runtime import Effects, MapRuntime

WORLD = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
RED = "#ff0000"


def load(name: str):
    return json.loads((WORLD / name).read_text(encoding="utf-8"))


ITEMS, NPCS, SHOPS, PROFESSIONS = (load(f"{name}.json") for name in ("items", "npcs", "shops",
                                                                       "professions"))
MAP_IDS = tuple(int(path.stem) for path in (WORLD / "maps").glob("*.json"))


def starter_map(map_id: int = 0) -> dict:
    return load(f"maps/{map_id}.json")


def world_context():
    """A context holding fresh copies of the starter world's lists (17 items, 9 NPCs...)."""
    ctx = context(map_ids=MAP_IDS, shops=copy.deepcopy(SHOPS))
    ctx.items, ctx.npcs = copy.deepcopy(ITEMS), copy.deepcopy(NPCS)
    ctx.professions = copy.deepcopy(PROFESSIONS)
    return ctx


def staff_map(access, map_id: int = 0) -> MapRuntime:
    """Ann (pid 1, the sender, at ``access``), then Bob (pid 2, access 4) last on the list."""
    return runtime_with((1, character("Ann", 3, 4, map_id=map_id, access=access)),
                        (2, character("Bob", 5, 5, map_id=map_id, access=4)),
                        map_id=map_id, record=starter_map(map_id))


def send(runtime: MapRuntime, packet: dict, pid: int = 1, ctx=None) -> Effects:
    effects = Effects()
    HANDLERS[packet["type"]](runtime, effects, pid, packet, ctx or world_context())
    return effects


def assert_refused(effects: Effects) -> str:
    """Exactly one red notice (114, channel 0) to the sender, and nothing else; its text."""
    assert len(effects.messages) == 1, effects.messages
    recipients, packet = effects.messages[0]
    assert recipients == (1,)
    assert (packet["type"], packet["channel_id"], packet["color"]) == (114, 0, RED)
    assert packet["text"]
    assert effects.requests == [] and effects.saves == [] and effects.closes == []
    return packet["text"]


def assert_nothing(effects: Effects) -> None:
    assert effects.messages == [] and effects.requests == []
