"""Helpers for the tests of the ``game`` API and the default scripts: the starter
world's lists, a context holding them, a hook body run through a real ScriptHooks,
and an NPC slot as the spawn rule fills it."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from maptools import context

from cluster import records
from scripting.hooks import ScriptHooks
from workers.runtime import Effects

STARTER_WORLD = Path(__file__).resolve().parents[2] / "storage" / "starter_world"


def starter_list(name: str) -> list:
    return json.loads((STARTER_WORLD / f"{name}.json").read_text(encoding="utf-8"))


def world_context(**fields):
    """maptools.context() with the starter world's items, NPCs and professions."""
    ctx = context(**fields)
    ctx.items, ctx.npcs, ctx.professions = starter_list("items"), starter_list("npcs"), starter_list("professions")
    return ctx


def run(runtime, ctx, body: str, *args):
    """Run ``body`` as the body of ``hook(*args)`` of a script; (result, effects, hooks)."""
    hooks = ScriptHooks(budget_ms=1000)
    source = "import game\n\ndef hook(*args):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"
    assert hooks.update("test", source) is None
    ctx.hooks = hooks
    effects = Effects()
    result = hooks.call(ctx, runtime, effects, "test", "hook", args)
    return result, effects, hooks


def put_npc(runtime, ctx, slot: int, npc_id: int, x: int, y: int, direction: int = 0) -> dict:
    """An NPC slot as a spawn fills it: {npc_id, sprite, scale, vitals (full), pos}."""
    definition = ctx.npc(npc_id)
    runtime.npcs[slot] = {"npc_id": npc_id, "sprite": definition["sprite"], "scale": definition["scale"],
                          "vitals": dict(definition["vitals"]),
                          "pos": records.position(x, y, direction, runtime.map_id)}
    return runtime.npcs[slot]
