"""The scripts in play on one map worker, and the rules' calls into their hooks.

    hooks = ScriptHooks(budget_ms=50)
    hooks.sync({"attack": source, ...})          # every script, from storage
    error = hooks.update("attack", new_source)  # hot reload; None when it took effect
    result = hooks.call(ctx, runtime, effects, "item", "useitem", (pid, 3, 7, 1))
    if overrides("item", result): ...            # scripting.returns: "overrides when"

A hook runs under the sandbox's time budget with the ``game`` API bound to
the map it is called for. What it sends through ``game`` is queued apart and
handed to the rule's effects only when the hook returns normally, so the
packets of a hook that raised, ran out of time or returned garbage are
discarded (fixes PROTOCOL 8.62), and the call returns ``NOT_RUN``: the rule's
default behaviour runs, as for a hook that does not exist. Such a failure is logged with the script's name and line,
at most once every ``LOG_EVERY_S`` seconds per hook, so a broken tick hook
cannot flood the log.

A script whose new text does not compile (or whose module body fails) is
refused and the old version stays active; an empty text deletes the script,
and its hooks stop running at once (fixes 8.62).

A hook is never called from inside another hook: a helper that would run one
gets the default behaviour instead, so scripts cannot recurse through the
rules.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from cluster.logs import RateLimitedLog
from scripting.api import GameAPI
from scripting.returns import NOT_RUN, overrides  # noqa: F401  (re-exported: the contract of call's result)
from scripting.sandbox import DEFAULT_BUDGET_MS, Script, ScriptError, compile_script
from workers.runtime import Effects

log = logging.getLogger(__name__)
refusals = RateLimitedLog(log)  # a script that does not compile, once per name per interval

LOG_EVERY_S = 10.0


def _names(functions: str | tuple) -> tuple:
    return (functions,) if isinstance(functions, str) else tuple(functions)


class ScriptHooks:
    """Compiled scripts by name, the ``game`` API they share, and error counters."""

    def __init__(self, budget_ms: int = DEFAULT_BUDGET_MS) -> None:
        self.budget_ms = budget_ms
        self.api = GameAPI()
        self.scripts: dict[str, Script] = {}
        self.sources: dict[str, str] = {}
        self.running = False
        self.errors = 0  # hooks that raised or returned garbage
        self.timeouts = 0  # hooks stopped by the time budget
        self._logged_at: dict[tuple, float] = {}
        self._suppressed: dict[tuple, int] = {}

    # --- the library ----------------------------------------------------------------
    def sync(self, scripts: dict[str, str]) -> None:
        """Make the library match storage's scripts (on the first map load)."""
        for name in set(self.scripts) - set(scripts):
            self.update(name, "")
        for name, text in scripts.items():
            self.update(name, text)

    def update(self, name: str, text: str | None) -> str | None:
        """Compile and load ``text`` as script ``name``; the error, or None once it is active."""
        if not text or not text.strip():
            if self.scripts.pop(name, None) is not None:
                log.info("script %r deleted", name)
            self.sources.pop(name, None)
            return None
        if self.sources.get(name) == text:
            return None
        try:
            script = compile_script(name, text).load(self.api, self.budget_ms)
        except ScriptError as error:
            refusals(f"compile {name}", "%s; the previous version stays active", error)
            return str(error)
        self.scripts[name] = script
        self.sources[name] = text
        log.info("script %r loaded", name)
        return None

    # --- calls ------------------------------------------------------------------------
    def has(self, script: str, functions: str | tuple) -> bool:
        loaded = self.scripts.get(script)
        return loaded is not None and any(loaded.has(name) for name in _names(functions))

    def call(self, ctx, runtime, effects: Effects, script: str, functions: str | tuple,
             args: tuple) -> Any:
        """Run the first of ``functions`` that ``script`` defines; see the module docstring."""
        loaded = self.scripts.get(script)
        if loaded is None or self.running:
            return NOT_RUN
        function = next((name for name in _names(functions) if loaded.has(name)), None)
        if function is None:
            return NOT_RUN
        queued = Effects()
        self.api._bind(ctx, runtime, queued)
        self.running = True
        try:
            result = loaded.call(function, *args, budget_ms=self.budget_ms)
        except ScriptError as error:
            self._failed(script, function, error)
            return NOT_RUN
        finally:
            self.running = False
            self.api._release()
        effects.absorb(queued)
        return result

    def _failed(self, script: str, function: str, error: ScriptError) -> None:
        if error.timed_out:
            self.timeouts += 1
        else:
            self.errors += 1
        key = (script, function)
        now = time.monotonic()
        if now - self._logged_at.get(key, -LOG_EVERY_S) < LOG_EVERY_S:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._logged_at[key] = now
        again = self._suppressed.pop(key, 0)
        log.warning("%s (default behaviour used, packets discarded%s)", error,
                    f"; {again} more failures since the last report" if again else "")
