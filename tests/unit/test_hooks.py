"""scripting.hooks.ScriptHooks: hook calls, discarded packets on failure, hot reload (PROTOCOL 6.1)."""
from __future__ import annotations

import logging

from maptools import character, context, received, runtime_with

from scripting.hooks import ScriptHooks
from scripting.returns import NOT_RUN
from workers.runtime import Effects

PID = 1
SOUND_THEN = """
import game
def handleChat(pid, text):
    game.sendToAllOnMap(game.genPlaySound(4))
    {tail}
"""


def setup(tail: str, budget_ms: int = 50, **options):
    hooks = ScriptHooks(budget_ms=budget_ms, **options)
    assert hooks.update("chat", SOUND_THEN.format(tail=tail)) is None
    runtime = runtime_with((PID, character("Ann", 2, 2)))
    ctx = context()
    ctx.hooks = hooks
    return hooks, runtime, ctx


def call(hooks, runtime, ctx, effects=None):
    effects = effects if effects is not None else Effects()
    result = hooks.call(ctx, runtime, effects, "chat", "handleChat", (PID, "hi"))
    return result, effects


def test_a_hooks_packets_are_delivered_after_it_returns_in_order():
    hooks, runtime, ctx = setup("game.sendToAllOnMap(game.genPlaySound(1))\n    return 1")
    effects = Effects()
    effects.to_player(PID, {"type": 114, "text": "before"})
    result, effects = call(hooks, runtime, ctx, effects)
    assert result == 1
    assert [p.get("sound_id") for p in received(effects, PID)] == [None, 4, 1]


def test_a_hook_that_raises_has_its_packets_discarded_and_is_logged_with_name_and_line(caplog):
    hooks, runtime, ctx = setup("return 1 // 0")
    with caplog.at_level(logging.WARNING, logger="scripting.hooks"):
        result, effects = call(hooks, runtime, ctx)
    assert result is NOT_RUN and effects.messages == []
    assert hooks.errors == 1
    line = [r.getMessage() for r in caplog.records if "chat" in r.getMessage()]
    assert line and "line 5" in line[0] and "ZeroDivisionError" in line[0]


def test_a_hook_that_runs_out_of_time_is_stopped_and_its_packets_discarded():
    hooks, runtime, ctx = setup("while True:\n        pass", budget_ms=20)
    result, effects = call(hooks, runtime, ctx)
    assert result is NOT_RUN and effects.messages == [] and hooks.timeouts == 1


def test_any_value_is_a_result_and_its_packets_are_delivered():
    hooks, runtime, ctx = setup("game.sendToAllOnMap(game.genPlaySound(1))\n    return [1]")
    result, effects = call(hooks, runtime, ctx)
    assert result == [1] and [p.get("sound_id") for p in received(effects, PID)] == [4, 1]
    assert hooks.errors == 0


def test_failures_are_logged_at_most_once_per_interval(caplog):
    hooks, runtime, ctx = setup("return 1 // 0", quarantine_after=10)
    with caplog.at_level(logging.WARNING, logger="scripting.hooks"):
        for _ in range(5):
            call(hooks, runtime, ctx)
    assert hooks.errors == 5
    assert len([r for r in caplog.records if "ZeroDivisionError" in r.getMessage()]) == 1


def test_a_script_that_does_not_compile_is_refused_and_the_old_one_stays():
    hooks, runtime, ctx = setup("return 1")
    error = hooks.update("chat", "def handleChat(pid, text):\n    return (\n")
    assert error and "chat" in error
    assert call(hooks, runtime, ctx)[0] == 1


def test_a_module_body_that_fails_is_refused_too():
    hooks, runtime, ctx = setup("return 1")
    assert hooks.update("chat", "import os\n") is not None
    assert call(hooks, runtime, ctx)[0] == 1


def test_hot_reload_takes_the_new_text_and_an_empty_text_deletes_the_script():
    hooks, runtime, ctx = setup("return 1")
    assert hooks.update("chat", "def handleChat(pid, text):\n    return 0\n") is None
    assert call(hooks, runtime, ctx)[0] == 0
    assert hooks.update("chat", "") is None
    assert not hooks.has("chat", "handleChat")
    assert call(hooks, runtime, ctx)[0] is NOT_RUN


def test_sync_replaces_the_library():
    hooks = ScriptHooks()
    hooks.sync({"a": "def f():\n    return 1\n", "b": "def g():\n    return 2\n"})
    hooks.sync({"b": "def g():\n    return 3\n"})
    assert not hooks.has("a", "f") and hooks.has("b", "g")
    assert hooks.call(context(), runtime_with(), Effects(), "b", "g", ()) == 3


def test_the_first_defined_function_of_a_tuple_is_called():
    hooks = ScriptHooks()
    hooks.update("mobdeath", "def genericdeath(slot):\n    return slot + 10\n")
    result = hooks.call(context(), runtime_with(), Effects(), "mobdeath", ("mobdeath_3", "genericdeath"), (4,))
    assert result == 14
    hooks.update("mobdeath", "def genericdeath(slot):\n    return 1\ndef mobdeath_3(slot):\n    return 7\n")
    assert hooks.call(context(), runtime_with(), Effects(), "mobdeath", ("mobdeath_3", "genericdeath"), (4,)) == 7


def test_a_missing_script_or_function_is_not_run():
    hooks = ScriptHooks()
    assert hooks.call(context(), runtime_with(), Effects(), "nothing", "f", ()) is NOT_RUN
    hooks.update("x", "def f():\n    return 1\n")
    assert hooks.call(context(), runtime_with(), Effects(), "x", "g", ()) is NOT_RUN


def test_the_game_api_is_unbound_after_a_call():
    hooks, runtime, ctx = setup("return 1")
    call(hooks, runtime, ctx)
    assert hooks.api._runtime is None and hooks.api._effects is None
