"""Which return values override the default, per hook (PROTOCOL 6.1 and 6.2 "overrides when").

Every hook that has a default is run through a real ScriptHooks and its rule,
ending in ``return 0``, ``return 1``, no ``return`` at all (None) and a raise.
"≠ 0" hooks override on everything but 0 (None included); "= 1" hooks only on 1;
a raising hook always lets the default run.
"""
from __future__ import annotations

import pytest
from itemtools import ARROW, SHORT_SWORD, inventory
from itemtools import world as item_world
from maptools import NOW_MS, character, context, received, runtime_with
from npctools import RAT, put_npc
from npctools import world as npc_world

from scripting.hooks import ScriptHooks
from workers.rules import items, npcs, presence, projectiles
from workers.rules.chat import handle_chat
from workers.rules.movement import handle_move
from workers.rules.stats import exp_to_level_up, level_up
from workers.runtime import Effects

ANN, BOB = 1, 2
ENDINGS = {"0": "return 0", "1": "return 1", "None": "pass", "raise": "raise ValueError('no')"}
NONZERO = {"0": False, "1": True, "None": True, "raise": False}  # True: the default was skipped
ONLY_ONE = {"0": False, "1": True, "None": False, "raise": False}


def hooks_for(script: str, function: str, arguments: str, ending: str) -> ScriptHooks:
    hooks = ScriptHooks(budget_ms=1000)
    assert hooks.update(script, f"def {function}({arguments}):\n    {ENDINGS[ending]}\n") is None
    return hooks


def two(ann=None, map_id=3):
    return runtime_with((ANN, ann or character("Ann", 3, 3, map_id=map_id)),
                        (BOB, character("Bob", 6, 6, map_id=map_id)), map_id=map_id)


# Each scenario runs one rule with the hook in place; it returns True when the default ran.

def playermove(hooks):
    runtime, ctx = two(), context()
    ctx.hooks = hooks
    handle_move(runtime, Effects(), ANN, {"type": 6, "x": 3, "y": 3, "dir": 0, "speed": 2}, ctx)
    return runtime.players[ANN].record["pos"]["y"] == 4


def leavemap(hooks):
    runtime, ctx = two(), context()
    ctx.hooks = hooks
    presence.leave(runtime, Effects(), ANN, 4, ctx)
    return ANN not in runtime.players


def handle_chat_line(hooks):
    runtime, ctx = two(), context()
    ctx.hooks = hooks
    effects = Effects()
    handle_chat(runtime, effects, ANN, {"type": 5, "text": "hello"}, ctx)
    return [p.get("text") for p in received(effects, BOB)] == ["Ann:hello"]


def equip_scenario(hooks):
    ann = character("Ann", 3, 3, map_id=3)
    ann["inv"] = inventory(s6=(SHORT_SWORD, 1, 100))
    runtime, ctx = two(ann), item_world(hooks=hooks)
    items.handle_use(runtime, Effects(), ANN, {"type": 9, "slot_id": 6}, ctx)
    return ann["inv"][0]["item_id"] == SHORT_SWORD


def drop_item(hooks):
    ann = character("Ann", 3, 3, map_id=3)
    ann["inv"] = inventory(s6=(ARROW, 10, 1))
    runtime, ctx = two(ann), item_world(hooks=hooks)
    items.handle_drop(runtime, Effects(), ANN, {"type": 20, "slot_id": 6, "amount": 4}, ctx)
    return ann["inv"][6]["amount"] == 6


def mob_death(hooks):
    runtime, ctx = two(), npc_world()
    ctx.hooks = hooks
    put_npc(runtime, 4, RAT, 5, 5, hp=0)
    npcs.deaths(runtime, Effects(), ctx)
    return runtime.npcs[4]["npc_id"] == -1


def levelup(hooks):
    runtime, ctx = two(), context()
    ctx.hooks = hooks
    ctx.professions = [{"name": "Warrior", "vitals": {"hp": 10, "mp": 5, "sp": 5}}]
    record = runtime.players[ANN].record
    record.update(exp=exp_to_level_up(1), level=1)
    level_up(runtime, Effects(), runtime.players[ANN], ctx)
    return record["level"] == 2


def ai_tick(hooks):
    """An NPC with aggro on Ann, three tiles east of her: the default chase steps it west."""
    runtime = two(character("Ann", 2, 5, map_id=3))
    ctx = npc_world(npcs=[{"name": "Dummy", "sprite": 1, "scale": 1, "vitals": {"hp": 10, "mp": 0, "sp": 0},
                           "stats": {"str": 1, "def": 1, "mag": 0, "spd": 0}, "move_chance": 0,
                           "move_amount": 1, "move_delay": 100, "pursue_run": False, "spawn_delay": 1,
                           "drop_items": []}])
    ctx.hooks = hooks
    put_npc(runtime, 0, 0, 5, 5, next_tick_ms=NOW_MS - 10)
    runtime.aggro[0] = {ANN: 3}
    npcs.tick(runtime, Effects(), ctx)
    return runtime.npcs[0]["pos"]["x"] == 4


def shot_at(target_kind):
    def scenario(hooks):
        """A monster's arrow flies east through Ann (or a rat) at (3, 5): a hit stops it there."""
        runtime = two(character("Ann", 3 if target_kind == "player" else 0, 5, map_id=3))
        ctx = npc_world()
        ctx.hooks = hooks
        if target_kind == "npc":
            put_npc(runtime, 2, RAT, 3, 5)
        slot = projectiles.fire(runtime, Effects(), ctx, 2, 9, 2, 5, 2, ARROW)
        ctx.now_ms = NOW_MS + 150
        projectiles.tick(runtime, Effects(), ctx)
        return runtime.shots[slot]["shooter_type"] != 0  # still flying: not a hit
    return scenario


CASES = [
    ("playermove", "playermove", "pid, x, y, d, speed", playermove, ONLY_ONE),
    ("leavemap", "leavemap", "pid, new_map", leavemap, NONZERO),
    ("chat", "handleChat", "pid, text", handle_chat_line, NONZERO),
    ("item", "useitem", "pid, item, slot, kind", equip_scenario, NONZERO),
    ("item", "equipitem", "pid, item, slot, kind", equip_scenario, NONZERO),
    ("item", "dropItem", "pid, item, slot, amount, kind", drop_item, NONZERO),
    ("mobdeath", "genericdeath", "slot", mob_death, NONZERO),
    ("mobdeath", f"mobdeath_{RAT}", "slot", mob_death, NONZERO),
    ("playerlevel", "levelup", "index, level", levelup, NONZERO),
    ("mobai", "genericaiTick", "slot, target, length", ai_tick, NONZERO),
    ("mobai", "mobaiTick_0", "slot, target, length", ai_tick, NONZERO),
    ("projectile", "hitplayer", "p, st, sid, x, y, item, d", shot_at("player"), ONLY_ONE),
    ("projectile", "hitnpc", "slot, st, sid, x, y, item, d", shot_at("npc"), ONLY_ONE),
    ("projectile", "hitgeneric", "kind, t, st, sid, x, y, item, d", shot_at("player"), ONLY_ONE),
]


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("script, function, arguments, scenario, rule", CASES,
                         ids=[f"{script}.{function}" for script, function, *_ in CASES])
def test_which_results_override_the_default(script, function, arguments, scenario, rule, ending):
    assert scenario(ScriptHooks()), "without the hook the default runs"
    skipped = not scenario(hooks_for(script, function, arguments, ending))
    assert skipped is rule[ending]


@pytest.mark.parametrize("value, nonzero, only_one", [
    ("0", False, False), ("False", False, False), ("0.0", False, False), ("1", True, True),
    ("True", True, True), ("None", True, False), ("2", True, False), ("'1'", True, False),
    ("[]", True, False), ("1.0", True, False),
])
def test_the_values_the_original_compared(value, nonzero, only_one):
    from scripting.returns import overrides
    result = eval(value)  # noqa: S307 - a literal of this test
    assert overrides("item", result) is nonzero
    assert overrides("playermove", result) is only_one
