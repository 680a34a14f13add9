"""What a rule may know beyond its map: the time, settings, world lists and the script hooks."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from scripting.returns import NOT_RUN, overrides


class NoScripts:
    """The hooks of a world without scripts: no hook exists, so every rule runs its default."""

    def has(self, script: str, functions: str | tuple) -> bool:
        return False

    def call(self, ctx: "RuleContext", runtime, effects, script: str, functions: str | tuple,
             args: tuple) -> Any:
        return NOT_RUN


NO_SCRIPTS = NoScripts()


@dataclass(slots=True)
class RuleContext:
    """Inputs a rule reads besides the map and the packet."""
    now_ms: int = 0
    min_step_interval_ms: int = 100
    step_burst: int = 2
    door_seconds: float = 10.0
    map_ids: frozenset = field(default_factory=frozenset)
    shops: list = field(default_factory=list)
    items: list = field(default_factory=list)  # item definitions (4.5), indexed by item id
    npcs: list = field(default_factory=list)  # NPC definitions (4.5), indexed by NPC id
    professions: list = field(default_factory=list)  # profession records (4.5)
    # Where a dead player revives when his map has no death_map (cluster.toml [game]).
    revive_map_id: int = 0
    revive_x: int = 5
    revive_y: int = 5
    hooks: Any = NO_SCRIPTS  # scripting.hooks.ScriptHooks on a worker: has() and call()
    rng: random.Random = field(default_factory=random.Random)  # every chance roll of the rules

    @property
    def now_s(self) -> float:
        return self.now_ms / 1000

    def item(self, item_id: Any) -> dict | None:
        """The item definition, or None for -1, a bad id or one past the list."""
        return _entry(self.items, item_id)

    def npc(self, npc_id: Any) -> dict | None:
        return _entry(self.npcs, npc_id)

    def profession(self, profession_id: Any) -> dict | None:
        return _entry(self.professions, profession_id)

    def shop(self, shop_id: Any) -> dict | None:
        return _entry(self.shops, shop_id)


def _entry(entries: list, index: Any) -> dict | None:
    if type(index) is not int or not 0 <= index < len(entries):
        return None
    entry = entries[index]
    return entry if isinstance(entry, dict) else None


def run_hook(ctx: RuleContext, runtime, effects, script: str, functions: str | tuple, *args) -> Any:
    """Call the first of ``functions`` that ``script`` defines (PROTOCOL 6.2).

    Returns what the hook returned, or ``scripting.hooks.NOT_RUN`` when there is no
    such hook or it failed (it was then logged, and its packets were discarded). The packets
    of a hook that succeeded are already in ``effects``, before anything the
    rule adds after the call.
    """
    return ctx.hooks.call(ctx, runtime, effects, script, functions, args)


def hook_overrides(ctx: RuleContext, runtime, effects, script: str, functions: str | tuple, *args) -> bool:
    """``run_hook``, and True when its result skips the default behaviour (6.1/6.2 "overrides when")."""
    return overrides(script, run_hook(ctx, runtime, effects, script, functions, *args))


def has_hook(ctx: RuleContext, script: str, functions: str | tuple) -> bool:
    return ctx.hooks.has(script, functions)
