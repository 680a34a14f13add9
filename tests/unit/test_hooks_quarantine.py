"""ScriptHooks quarantine (issue 11): failures in a row, hard time-outs, memory, failed loads,
the cluster's quarantine and release, from_settings and the crash-breadcrumb tracker."""
from __future__ import annotations

from maptools import context, runtime_with

from cluster import config as cluster_config
from scripting.hooks import ScriptHooks
from scripting.returns import NOT_RUN
from workers.runtime import Effects

GOOD = "def f():\n    return 7\n"
FAILING = "def f():\n    return 1 // 0\n"
SWALLOWING = """
def f():
    while True:
        try:
            try:
                while True:
                    pass
            finally:
                raise ValueError
        except ValueError:
            pass
"""


def recorded():
    calls = []
    return calls, lambda script, function, reason: calls.append((script, function, reason))


def call(hooks, name="s"):
    return hooks.call(context(), runtime_with(), Effects(), name, "f", ())


def test_failures_in_a_row_quarantine_once_and_success_resets_the_count():
    calls, notify = recorded()
    hooks = ScriptHooks(quarantine_after=3, on_quarantine=notify)
    hooks.update("s", "n = []\ndef f():\n    n.append(1)\n    if len(n) % 3:\n        return 1 // 0\n    return 1\n")
    for _ in range(6):  # fail, fail, ok, fail, fail, ok: never three in a row
        call(hooks)
    assert hooks.quarantined == {} and calls == []
    hooks.update("s", FAILING)
    assert [call(hooks) for _ in range(4)] == [NOT_RUN] * 4
    assert list(hooks.quarantined) == ["s"] and "3 times in a row" in hooks.quarantined["s"]
    assert len(calls) == 1 and calls[0][:2] == ("s", "f") and hooks.errors == 4 + 3
    assert not hooks.has("s", "f")


def test_a_hard_time_out_quarantines_at_once():
    calls, notify = recorded()
    hooks = ScriptHooks(budget_ms=20, on_quarantine=notify)
    hooks.update("s", SWALLOWING)
    assert call(hooks) is NOT_RUN
    assert "timed out hard" in hooks.quarantined["s"] and len(calls) == 1 and hooks.timeouts == 1


def test_a_quarantined_script_is_released_by_a_new_text_or_release():
    hooks = ScriptHooks(quarantine_after=1)
    hooks.update("s", FAILING)
    call(hooks)
    assert "s" in hooks.quarantined
    hooks.update("s", FAILING)  # the same text: still quarantined
    assert "s" in hooks.quarantined
    hooks.update("s", GOOD)
    assert hooks.quarantined == {} and call(hooks) == 7
    hooks.quarantine("s", "crashed map-2")
    assert call(hooks) is NOT_RUN and hooks.quarantined == {"s": "crashed map-2"}
    hooks.release("s")
    assert call(hooks) == 7


def test_the_clusters_quarantine_calls_no_callback():
    calls, notify = recorded()
    hooks = ScriptHooks(on_quarantine=notify)
    hooks.update("s", GOOD)
    hooks.quarantine("s", "timed out hard on map-1")
    assert calls == [] and hooks.quarantines == 0


def test_memory_hoarded_across_calls_quarantines():
    calls, notify = recorded()
    hooks = ScriptHooks(script_memory_kb=1024, memory_check_ms=0, on_quarantine=notify)
    hooks.update("s", "kept = []\ndef f():\n    kept.append(list(range(20000)))\n    return 1\n")
    results = [call(hooks) for _ in range(5)]
    assert results[0] == 1 and results[-1] is NOT_RUN
    assert "KB between calls" in hooks.quarantined["s"] and len(calls) == 1


def test_a_first_load_that_fails_quarantines_and_a_later_one_keeps_the_old_version():
    calls, notify = recorded()
    hooks = ScriptHooks(on_quarantine=notify)
    assert hooks.update("bad", "raise ValueError(int('f' * 5000, 16))\n")
    assert "did not load" in hooks.quarantined["bad"] and calls[0][:2] == ("bad", "<module>")
    hooks.update("s", GOOD)
    assert hooks.update("s", "while True:\n    pass\n") is not None
    assert "s" not in hooks.quarantined and call(hooks) == 7


def test_a_module_body_that_hoards_memory_is_refused():
    hooks = ScriptHooks(script_memory_kb=256)
    error = hooks.update("s", "kept = [list(range(1000)) for i in range(100)]\n")
    assert error and "KB between calls" in error


def test_the_tracker_brackets_every_hook_call():
    events = []

    class Tracker:
        def entered(self, script, function):
            events.append(("entered", script, function))

        def left(self):
            events.append(("left",))

    hooks = ScriptHooks(tracker=Tracker())
    hooks.update("s", FAILING)
    call(hooks)
    assert events == [("entered", "s", "f"), ("left",)]


def test_from_settings_reads_the_scripting_section():
    config = cluster_config.from_dict({"scripting": {"budget_ms": 40, "quarantine_after": 5,
                                                     "script_memory_kb": 2048, "memory_check_ms": 250}})
    for settings in (config, config.scripting):
        hooks = ScriptHooks.from_settings(settings)
        assert (hooks.budget_ms, hooks.quarantine_after, hooks.script_memory_kb, hooks.memory_check_s) == \
            (40, 5, 2048, 0.25)
    defaults = cluster_config.Config().scripting
    assert (defaults.prove_cpu_s, defaults.prove_wall_s, defaults.prove_memory_mb) == (2, 5, 256)
