"""Helpers for the tests of the starter world's content: one of its maps with its scripts
loaded into a real ScriptHooks, heroes of its professions, its NPCs, and the hook calls."""
from __future__ import annotations

import copy
import random

from maptools import character, received
from scripttools import STARTER_WORLD, put_npc, starter_list, world_context

from cluster import records
from scripting.hooks import ScriptHooks
from storage.worldfiles import read_scripts, read_world
from workers.rules.stats import max_vitals
from workers.runtime import Effects, MapRuntime, PlayerOnMap

MAPS, _RESOURCES = read_world(STARTER_WORLD)
SCRIPTS = read_scripts(STARTER_WORLD)
ITEMS, PROFESSIONS = starter_list("items"), starter_list("professions")
WARRIOR, ARCHER, MAGE, CLERIC = 0, 1, 2, 3  # professions.json
# items.json
STICK, GOLD, HEALING_POTION, MANA_POTION, SHORT_SWORD, BOW, OAK_STAFF = 0, 1, 2, 3, 4, 5, 6
ARROW, WOLF_PELT, IRON_SWORD, ARCANE_BOLT, MENDING_LIGHT, WILLOW_STAFF = 13, 15, 16, 17, 18, 19
# npcs.json
RAT, WOLF, BANDIT, BAT, SKELETON, MARA, TILDA, BRANNOC = 0, 2, 3, 4, 5, 6, 7, 8
# maps
TOWN_SQUARE, MARKET_STREET, FIELDS, INN, STORE, SMITHY, FOREST, CHAPEL, CRYPT = range(9)


def starter_map(map_id: int, *players: tuple[int, dict], **fields) -> tuple[MapRuntime, object]:
    """Starter map ``map_id`` (a copy, ``fields`` changed) with ``players`` (pid, record) on it, and a
    context holding the starter world's lists and scripts (rules and scripts roll seeded)."""
    record = copy.deepcopy(MAPS[map_id])
    record.update(fields)
    runtime = MapRuntime(map_id, 1, record)
    for pid, char in players:
        char["pos"]["map_id"] = map_id
        runtime.players[pid] = PlayerOnMap(pid, [100 + pid, 0], char)
    ctx = world_context()
    ctx.rng = random.Random(7)
    random.seed(1234)  # the scripts' rolls (they share the process's generator)
    hooks = ScriptHooks(budget_ms=1000)
    hooks.sync(SCRIPTS)
    assert hooks.errors == 0
    ctx.hooks = hooks
    return runtime, ctx


def hero(name: str, x: int, y: int, profession: int = WARRIOR, direction: int = 0, **fields) -> dict:
    """A character of ``profession`` at full vitals (the 5.6 formula), facing ``direction``."""
    record = character(name, x, y, direction=direction, profession_id=profession)
    base = PROFESSIONS[profession]
    record["max_vitals"] = max_vitals(base["vitals"], record["stats"])
    record["vitals"] = dict(record["max_vitals"])
    record.update(fields)
    return record


def hold(record: dict, slot: int, item_id: int, amount: int = 1, uses: int | None = None) -> None:
    """Put ``amount`` of ``item_id`` in inventory ``slot`` (uses: the item's, unless given)."""
    item = ITEMS[item_id]
    record["inv"][slot] = {"item_id": item_id, "amount": amount, "uses": item["uses"] if uses is None else uses}


def npc(runtime, ctx, slot: int, npc_id: int, x: int, y: int, direction: int = 0) -> dict:
    return put_npc(runtime, ctx, slot, npc_id, x, y, direction)


def call(runtime, ctx, script: str, function, *args):
    """One hook call as the rules make it; (result, effects). The hook must not fail."""
    effects = Effects()
    result = ctx.hooks.call(ctx, runtime, effects, script, function, args)
    assert ctx.hooks.errors == 0 and ctx.hooks.timeouts == 0
    return result, effects


def click(runtime, ctx, pid: int, x: int, y: int) -> list[dict]:
    """A click on (x, y): what the clicker received."""
    _, effects = call(runtime, ctx, "click", "handleClick", pid, x, y)
    return received(effects, pid)


def chat(packets: list[dict]) -> list[tuple[int, str, str]]:
    """The 114s of ``packets``: (channel, colour, text)."""
    return [(p["channel_id"], p["color"], p["text"]) for p in packets if p["type"] == 114]


def empty_slot() -> dict:
    return records.empty_inventory_slot()
