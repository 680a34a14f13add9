"""The script sandbox: restricted compile, guarded imports, time budget,
recursion cap, error lines and the "return 1 overrides" rule."""

import signal
import sys
import time

import pytest

from scripting.sandbox import ScriptError, compile_script, overrides


class FakeGame:
    """A tiny stand-in for the ``game`` helper API."""

    def __init__(self):
        self.messages = []

    def getPlayerName(self, player_id):
        return f"player{player_id}"

    def sendMessage(self, player_id, text):
        self.messages.append((player_id, text))


def load(source, api=None):
    return compile_script("test", source).load(api or FakeGame())


def test_hook_returns_value_and_sees_game_random_math():
    api = FakeGame()
    script = load(
        "import game\nimport random, math\n"
        "def handleChat(pid, text):\n"
        "    game.sendMessage(pid, game.getPlayerName(pid) + ': ' + text)\n"
        "    print('dropped')\n"
        "    total = 0\n"
        "    for i, j in [(1, 2), (3, 4)]:\n"
        "        total += i * j\n"
        "    return total + math.floor(random.random())\n", api)
    assert script.call("handleChat", 7, "hi") == 14
    assert api.messages == [(7, "player7: hi")]


def test_missing_hook_returns_none():
    assert load("x = 1\n").call("playermove", 1, 2, 3, 0, 1) is None


@pytest.mark.parametrize("source", ["import os\n", "from os import path\n",
                                    "import sys\n", "import random as r, socket\n"])
def test_only_allowed_modules_import(source):
    with pytest.raises(ScriptError):
        load(source)


def test_open_is_not_available():
    script = load("def click(pid, x, y):\n    return open('/etc/passwd').read()\n")
    with pytest.raises(ScriptError, match="NameError") as caught:
        script.call("click", 1, 2, 3)
    assert caught.value.line == 2


def test_dunder_attribute_refused_at_compile():
    with pytest.raises(ScriptError, match="_") as caught:
        compile_script("escape", "x = 1\nbases = ().__class__.__bases__\n")
    assert caught.value.script == "escape"
    assert caught.value.line == 2


def test_getattr_dunder_refused_at_run_time():
    script = load("def f(x):\n    return getattr(x, '__class__')\n")
    with pytest.raises(ScriptError, match="AttributeError"):
        script.call("f", ())
    assert load("def f(x):\n    return getattr(x, 'nope', 5)\n").call("f", ()) == 5


def test_mro_refused():
    script = load("def f():\n    return Exception.mro()\n")
    with pytest.raises(ScriptError):
        script.call("f")


@pytest.mark.parametrize("source", [
    "try:\n    pass\nexcept:\n    pass\n",
    "while True:\n    try:\n        pass\n    finally:\n        continue\n",
])
def test_timeout_swallowing_constructs_refused(source):
    with pytest.raises(ScriptError):
        compile_script("swallow", source)


def test_endless_loop_times_out():
    script = load("def tick(pid):\n    while True:\n        pass\n")
    started = time.monotonic()
    with pytest.raises(ScriptError, match="budget") as caught:
        script.call("tick", 1, budget_ms=100)
    assert time.monotonic() - started < 1.0
    assert caught.value.line in (2, 3)


def test_timeout_not_caught_by_except_exception():
    script = load("def tick():\n    while True:\n        try:\n"
                  "            while True:\n                pass\n"
                  "        except Exception:\n            pass\n")
    with pytest.raises(ScriptError, match="budget"):
        script.call("tick", budget_ms=50)


def test_module_level_code_has_the_budget():
    with pytest.raises(ScriptError, match="budget"):
        compile_script("slow", "while True:\n    pass\n").load(FakeGame(), budget_ms=50)


def test_huge_range_is_refused():
    script = load("def f():\n    n = 0\n    for i in range(10**12):\n        n += 1\n")
    with pytest.raises(ScriptError, match="range"):
        script.call("f")


def test_recursion_bomb_and_limit_restored():
    limit = sys.getrecursionlimit()
    script = load("def f():\n    return f()\n")
    with pytest.raises(ScriptError, match="RecursionError") as caught:
        script.call("f")
    assert caught.value.line == 2
    assert sys.getrecursionlimit() == limit


def test_raising_hook_reports_line():
    script = load("x = 1\n\ndef levelup(index, level):\n    y = level + 1\n"
                  "    return y / 0\n")
    with pytest.raises(ScriptError, match="levelup.*ZeroDivisionError") as caught:
        script.call("levelup", 0, 3)
    assert caught.value.line == 5
    assert caught.value.script == "test"


def test_syntax_error_reports_line():
    with pytest.raises(ScriptError) as caught:
        compile_script("bad", "x = 1\ndef f(:\n")
    assert caught.value.line == 2


def test_writes_to_dicts_and_lists_allowed_but_not_to_objects():
    script = load("def f(player, api):\n    player['data']['nextTick'] = 5\n"
                  "    return player\n\ndef g(api):\n    api.messages = None\n")
    assert script.call("f", {"data": {}}, None) == {"data": {"nextTick": 5}}
    with pytest.raises(ScriptError):
        script.call("g", FakeGame())


def test_alarm_handler_and_outer_timer_restored():
    # pytest-timeout may own SIGALRM and a running timer: both must survive.
    before_handler = signal.getsignal(signal.SIGALRM)
    before_delay, before_interval = signal.getitimer(signal.ITIMER_REAL)
    load("def f():\n    return 1\n").call("f")
    assert signal.getsignal(signal.SIGALRM) is before_handler
    delay, interval = signal.getitimer(signal.ITIMER_REAL)
    assert interval == before_interval
    assert before_delay - 1 <= delay <= before_delay


def test_overrides():
    assert overrides(1) and overrides(True)
    assert not any(overrides(v) for v in (0, None, 2, "1", 1.0, False, -1))
