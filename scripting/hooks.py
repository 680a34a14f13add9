"""The scripts in play on one map worker, and the rules' calls into their hooks.

    hooks = ScriptHooks.from_settings(config, on_quarantine=notify_staff, tracker=breadcrumb)
    hooks.sync({"attack": source, ...})          # every script, from storage
    error = hooks.update("attack", new_source)  # hot reload; None when it took effect
    result = hooks.call(ctx, runtime, effects, "item", "useitem", (pid, 3, 7, 1))
    if overrides("item", result): ...            # scripting.returns: "overrides when"

A hook runs under the sandbox's time budget with the ``game`` API bound to
the map it is called for. What it sends through ``game`` is queued apart and
handed to the rule's effects only when the hook returns normally, so the
packets of a hook that raised, ran out of time or returned garbage are
discarded (fixes PROTOCOL 8.62), and the call returns ``NOT_RUN``: the rule's
default behaviour runs, as for a hook that does not exist. Such a failure is
logged with the script's name and line, at most once every ``LOG_EVERY_S``
seconds per hook, so a broken tick hook cannot flood the log.

**Quarantine.** A script is disabled — its hooks return ``NOT_RUN`` — and
listed in ``quarantined`` (name → reason) when

* its hooks failed ``quarantine_after`` times in a row (errors or time-outs;
  a call that ends normally resets the count);
* a hook timed out *hard*: it swallowed a time-out or ran more than its
  budget again past it (``ScriptError.hard``);
* what it keeps between calls exceeds ``script_memory_kb`` (measured by
  ``scripting.memory`` after a call, at most every ``memory_check_ms``);
* its module body failed on its first load (no earlier version to keep).

``on_quarantine(script, function, reason)`` is called once when this worker
quarantines a script (``function`` is ``"<module>"`` for a load), so the
node can tell the cluster; ``quarantine(name, reason)`` is how the cluster's
decision reaches a worker (no callback), and ``release(name)`` — or an
``update`` with a new text that loads — enables it again.

A script whose new text does not compile (or whose module body fails) is
refused and the old version stays active; an empty text deletes the script,
and its hooks stop running at once (fixes 8.62).

A hook is never called from inside another hook: a helper that would run one
gets the default behaviour instead, so scripts cannot recurse through the
rules. ``tracker.entered(script, function)`` / ``tracker.left()`` bracket
every hook call when a tracker is given (the worker's crash breadcrumb).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from cluster.logs import RateLimitedLog
from scripting.api import GameAPI
from scripting.memory import retained_bytes
from scripting.returns import NOT_RUN, overrides  # noqa: F401  (re-exported: the contract of call's result)
from scripting.sandbox import DEFAULT_BUDGET_MS, Script, ScriptError, compile_script
from workers.runtime import Effects

log = logging.getLogger(__name__)
# A script that does not compile, one put in or out of quarantine: one line per interval each (a
# flood of saves, or a peer's junk, must not flood the log; status and metrics keep the count).
refusals = RateLimitedLog(log)
changes = RateLimitedLog(log, level=logging.INFO)

LOG_EVERY_S = 10.0
MODULE_BODY = "<module>"


def _names(functions: str | tuple) -> tuple:
    return (functions,) if isinstance(functions, str) else tuple(functions)


class ScriptHooks:
    """Compiled scripts by name, the ``game`` API they share, error counters and the quarantine."""

    def __init__(self, budget_ms: int = DEFAULT_BUDGET_MS, *, quarantine_after: int = 3,
                 script_memory_kb: int = 16384, memory_check_ms: int = 1000,
                 on_quarantine=None, tracker=None) -> None:
        self.budget_ms = budget_ms
        self.quarantine_after = quarantine_after
        self.script_memory_kb = script_memory_kb
        self.memory_check_s = memory_check_ms / 1000
        self.on_quarantine = on_quarantine
        self.tracker = tracker
        self.api = GameAPI()
        self.scripts: dict[str, Script] = {}
        self.sources: dict[str, str] = {}
        self.quarantined: dict[str, str] = {}  # script → why it is disabled
        self.running = False
        self.errors = 0  # hooks that raised or returned garbage
        self.timeouts = 0  # hooks stopped by the time budget
        self.quarantines = 0  # scripts this worker quarantined (not counting quarantine())
        self._failures: dict[str, int] = {}  # failures in a row, per script
        self._checked_at: dict[str, float] = {}  # last memory check, per script
        self._logged_at: dict[tuple, float] = {}
        self._suppressed: dict[tuple, int] = {}

    @classmethod
    def from_settings(cls, settings, on_quarantine=None, tracker=None) -> ScriptHooks:
        """From a ``cluster.config.Config`` (or its ``scripting`` section)."""
        section = getattr(settings, "scripting", settings)
        return cls(section.budget_ms, quarantine_after=section.quarantine_after,
                   script_memory_kb=section.script_memory_kb, memory_check_ms=section.memory_check_ms,
                   on_quarantine=on_quarantine, tracker=tracker)

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
            self.release(name)
            return None
        if self.sources.get(name) == text:
            return None
        try:
            script = compile_script(name, text).load(self.api, self.budget_ms)
            over = self._over_memory(script)
            if over:
                raise ScriptError(name, f"its module body {over}")
        except ScriptError as error:
            if name in self.scripts:
                refusals("compile", "%s; the previous version stays active", error)
            else:
                self.sources[name] = text  # the same text is not tried again until it changes
                self._quarantine(name, MODULE_BODY, f"did not load: {error}")
            return str(error)
        self.scripts[name] = script
        self.sources[name] = text
        self.release(name)
        log.info("script %r loaded", name)
        return None

    # --- quarantine -------------------------------------------------------------------
    def quarantine(self, name: str, reason: str) -> None:
        """Disable ``name`` (the cluster's decision, from another worker: no callback)."""
        if name not in self.quarantined:
            refusals("quarantine", "script %.40r quarantined: %.300s", name, reason)
        self.quarantined[name] = reason

    def release(self, name: str) -> None:
        """Enable ``name`` again (staff saved it)."""
        if self.quarantined.pop(name, None) is not None:
            changes("release", "script %.40r released from quarantine", name)
        self._failures.pop(name, None)

    def _quarantine(self, name: str, function: str, reason: str) -> None:
        if name in self.quarantined:
            return
        self.quarantines += 1
        self.quarantine(name, reason)
        if self.on_quarantine is not None:
            try:
                self.on_quarantine(name, function, reason)
            except Exception:
                log.exception("on_quarantine failed for script %r", name)

    def _over_memory(self, script: Script) -> str | None:
        """What is wrong with what ``script`` keeps between calls, or None."""
        kept = retained_bytes(script._scope, skip=(self.api,))
        if kept > self.script_memory_kb * 1024:
            return f"keeps about {kept // 1024} KB between calls (limit {self.script_memory_kb} KB)"
        return None

    def _check_memory(self, script: str, function: str, loaded: Script) -> None:
        now = time.monotonic()
        if now - self._checked_at.get(script, -self.memory_check_s) < self.memory_check_s:
            return
        self._checked_at[script] = now
        over = self._over_memory(loaded)
        if over:
            self._quarantine(script, function, over)

    # --- calls ------------------------------------------------------------------------
    def has(self, script: str, functions: str | tuple) -> bool:
        loaded = self.scripts.get(script)
        return (loaded is not None and script not in self.quarantined
                and any(loaded.has(name) for name in _names(functions)))

    def call(self, ctx, runtime, effects: Effects, script: str, functions: str | tuple,
             args: tuple) -> Any:
        """Run the first of ``functions`` that ``script`` defines; see the module docstring."""
        loaded = self.scripts.get(script)
        if loaded is None or self.running or script in self.quarantined:
            return NOT_RUN
        function = next((name for name in _names(functions) if loaded.has(name)), None)
        if function is None:
            return NOT_RUN
        queued = Effects()
        self.api._bind(ctx, runtime, queued)
        self.running = True
        tracker = self.tracker
        if tracker is not None:
            tracker.entered(script, function)
        try:
            result = loaded.call(function, *args, budget_ms=self.budget_ms)
        except ScriptError as error:
            self._failed(script, function, error)
            return NOT_RUN
        finally:
            self.running = False
            self.api._release()
            if tracker is not None:
                tracker.left()
            self._check_memory(script, function, loaded)
        if self._failures:
            self._failures.pop(script, None)
        effects.absorb(queued)
        return result

    def _failed(self, script: str, function: str, error: ScriptError) -> None:
        if error.timed_out:
            self.timeouts += 1
        else:
            self.errors += 1
        failures = self._failures[script] = self._failures.get(script, 0) + 1
        if error.hard:
            self._quarantine(script, function, f"{function} timed out hard: {error.reason}")
        elif failures >= self.quarantine_after:
            self._quarantine(script, function, f"{function} failed {failures} times in a row: {error.reason}")
        key = (script, function)
        now = time.monotonic()
        if now - self._logged_at.get(key, -LOG_EVERY_S) < LOG_EVERY_S:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._logged_at[key] = now
        again = self._suppressed.pop(key, 0)
        log.warning("%s (default behaviour used, packets discarded%s)", error,
                    f"; {again} more failures since the last report" if again else "")
