"""What a hook's return value means (PROTOCOL 6.1 and the "overrides when" column of 6.2).

    result = hooks.call(ctx, runtime, effects, "item", "useitem", args)
    if overrides("item", result): ...   # skip the rule's default behaviour

Kept apart from ``scripting.hooks`` so the rules can read the contract without
importing the ``game`` API (which imports the rules).
"""
from __future__ import annotations

from typing import Any

# The hooks of these scripts override the default only when they return exactly 1
# (or True); every other hook overrides on anything but 0 (or False).
OVERRIDE_ON_ONE = frozenset({"playermove", "projectile"})


class _NotRun:
    """What ``ScriptHooks.call`` returns when no hook ran to its end (none defined, or it failed)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_RUN"


NOT_RUN = _NotRun()


def overrides(script: str, result: Any) -> bool:
    """True when ``result`` of a hook of ``script`` skips the rule's default behaviour.

    As in the original: ``playermove`` and the projectile hooks need exactly 1 (or
    True); the others override on any value but 0 (or False), ``None`` included, so
    a hook that ends without ``return`` overrides. A hook that did not run never does.
    """
    if result is NOT_RUN:
        return False
    if script in OVERRIDE_ON_ONE:
        return type(result) in (int, bool) and result == 1
    return not (type(result) in (int, bool, float) and result == 0)
