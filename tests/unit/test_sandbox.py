"""The script sandbox: restricted compile, guarded imports, time budget,
recursion cap, error lines and the "return 1 overrides" rule."""

import signal
import sys
import time

import pytest

from scripting.sandbox import ScriptError, compile_script


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


def test_what_pythons_compile_step_refuses_is_a_script_error_too():
    with pytest.raises(ScriptError, match="outside function") as caught:
        compile_script("bad", "x = 1\nreturn 1\n")
    assert caught.value.line == 2


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


# --- hardening: C-level work the time budget cannot interrupt is refused up front -------------

def contained(source, budget_ms=200, api=None):
    """Run ``f()`` of ``source``: the ScriptError it raised (or None), checked to be quick."""
    script = load("import math, random, time\n" + source, api)
    started = time.monotonic()
    try:
        script.call("f", budget_ms=budget_ms)
        error = None
    except ScriptError as raised:
        error = raised
    assert time.monotonic() - started < 1.0
    return error


@pytest.mark.parametrize("expression", [
    "[0] * 10**10", "'x' * 10**10", "10**10 * (1, 2)", "2 ** 10**10", "1 << 10**10",
    "pow(7, 10**10)", "(3 ** 5000) * (3 ** 5000)",
    "'x'.ljust(10**10)", "'x'.rjust(10**10)", "'x'.center(10**10)", "'1'.zfill(10**10)",
    "str.ljust('x', 10**10)", "'\\t'.expandtabs(10**10)", "('x' * 1000).replace('x', 'x' * 10000)",
    "'-'.join(['x' * 1000] * 10000)", "(1).to_bytes(10**10, 'big')",
    "f'{1:>999999999}'", "f'{1:>{10**9}}'", "f'{1.5:.999999999f}'", "'%999999999d' % 1", "'%*d' % (10**9, 1)",
    "sum([[0] * 1000] * 10000, [])", "math.factorial(10**7)", "math.comb(10**7, 5 * 10**6)",
    "math.prod([10**3000] * 100)", "random.getrandbits(10**10)", "random.randbytes(10**10)",
])
def test_huge_results_are_refused_before_they_are_built(expression):
    error = contained(f"def f():\n    return {expression}\n")
    assert error is not None and "ValueError" in str(error) and "not allowed" in str(error)
    assert not error.timed_out and error.line == 3


@pytest.mark.parametrize("statements", [
    "x = [0]\n    x *= 10**10", "x = 'ab'\n    x *= 10**10", "x = 2\n    x **= 10**10",
    "x = 1\n    x <<= 10**10", "x = '%999999999d'\n    x %= 1",
])
def test_augmented_forms_are_guarded_too(statements):
    error = contained(f"def f():\n    {statements}\n")
    assert error is not None and "not allowed" in str(error)


def test_str_format_is_refused_outright():
    error = contained("def f():\n    return '{:>999999999}'.format(1)\n")
    assert error is not None and "format" in str(error)


def test_the_guarded_operators_still_compute_ordinary_results():
    script = load(
        "import math\n"
        "def f(n):\n"
        "    total = 3\n    total *= 2\n    total **= 2\n    total <<= 1\n    total %= 50\n"
        "    words = ['ab'] * 2 + [2 * 'c']\n"
        "    text = '%5.1f|%s|%%' % (2.5, 'x') + f'{n!r:>4}{3.14159:.2f}' + 'x'.ljust(3, '.')\n"
        "    return (total, 7 % 3, 2 ** 10, -2 ** 2, 2 ** -1, 1 << 4, words, text, '-'.join(words),\n"
        "            sum([1, 2, 3]), sum([[1], [2]], []), pow(3, 4, 5), math.factorial(5), 'a\\tb'.expandtabs(2))\n")
    assert script.call("f", 7) == (22, 1, 1024, -4, 0.5, 16, ["ab", "ab", "cc"],
                                   "  2.5|x|%   73.14x..", "ab-ab-cc", 6, [1, 2], 1, 120, "a b")


def test_guarded_modules_keep_the_shared_random_and_drop_sleep_and_classes():
    import random as real_random
    script = load("import random, time\ndef f():\n    return random.random()\n"
                  "def g():\n    return time.sleep(5)\ndef h():\n    return random.Random\n")
    real_random.seed(42)
    first = script.call("f")
    real_random.seed(42)
    assert script.call("f") == first  # random.seed in a test decides what scripts roll
    for hook in ("g", "h"):
        with pytest.raises(ScriptError, match="AttributeError"):
            script.call(hook)


@pytest.mark.parametrize("source, expected", [
    ("def f():\n    import os\n", None),  # refused at compile time, with its line
    ("def f():\n    return open('/etc/passwd').read()\n", "NameError"),
    ("def f():\n    return type(game)\n", "NameError"),
    ("def f():\n    return getattr(game, '_runtime')\n", "AttributeError"),
    ("def f():\n    return getattr(getattr(game, 'getPlayerName'), '__globals__')\n", "AttributeError"),
    ("def f():\n    return game.getPlayerName.__self__\n", None),
])
def test_escapes_are_contained(source, expected):
    if expected is None:
        with pytest.raises(ScriptError) as caught:
            compile_script("escape", "import game\n" + source)
        assert caught.value.line == 3
        return
    error = contained("import game\n" + source)
    assert error is not None and expected in str(error)


def test_endless_loop_recursion_bomb_and_growing_list_are_stopped_quickly():
    assert contained("def f():\n    while True:\n        pass\n", budget_ms=50).timed_out
    assert "RecursionError" in str(contained("def f():\n    return f()\n"))
    grows = contained("def f():\n    items = []\n    while True:\n        items.append(len(items))\n",
                      budget_ms=50)
    assert grows.timed_out and grows.line in (4, 5)


def test_a_failure_that_is_not_a_timeout_says_so():
    error = contained("def f():\n    return 1 // 0\n")
    assert error is not None and not error.timed_out


def test_limit_memory_sets_the_soft_address_space_limit(monkeypatch):
    import resource
    from scripting import sandbox
    calls = []
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append((which, limits)))
    assert sandbox.limit_memory(512) == 512 * 1024 * 1024
    assert calls == [(resource.RLIMIT_AS, (512 * 1024 * 1024, resource.RLIM_INFINITY))]
    calls.clear()
    monkeypatch.setattr(resource, "getrlimit", lambda which: (-1, 256 * 1024 * 1024))
    assert sandbox.limit_memory(512) == 256 * 1024 * 1024  # never above the hard limit
    assert sandbox.limit_memory(0) == -1 and len(calls) == 1  # 0: no change


def test_a_huge_allocation_under_the_memory_limit_is_a_contained_script_error():
    import resource
    from scripting.sandbox import limit_memory
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    previous = resource.getrlimit(resource.RLIMIT_AS)
    script = load("def f():\n    blocks = []\n    while True:\n        blocks.append(list(range(10**6)))\n")
    try:
        limit_memory(used // (1024 * 1024) + 300)
        with pytest.raises(ScriptError, match="MemoryError") as caught:
            script.call("f", budget_ms=5000)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, previous)
    assert not caught.value.timed_out
