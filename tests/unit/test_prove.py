"""scripting.prove: a script's module body run in a disposable child with hard limits."""
from __future__ import annotations

import sys
import threading
import time

import pytest

from scripting import prove as prove_module
from scripting.prove import prove

LIMITS = {"cpu_s": 2, "wall_s": 5, "memory_mb": 256}


def test_a_good_script_passes_quickly_even_from_a_thread():
    answers = []
    worker = threading.Thread(target=lambda: answers.append(
        prove("good", "import game\nX = [1, 2]\ndef f():\n    return X\n", **LIMITS)))
    worker.start()
    worker.join()
    assert answers == [None]


def test_a_syntax_error_names_its_line():
    error = prove("bad", "x = 1\ndef f(:\n", **LIMITS)
    assert error is not None and error.line == 2


SWALLOWING_BODY = """
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


def test_an_endless_module_body_is_refused():
    error = prove("loop", SWALLOWING_BODY, **LIMITS)
    assert error is not None and error.timed_out


def test_a_deep_tuple_hash_in_a_module_body_is_refused_not_crashed():
    # A generous budget: on a loaded box the loop alone may take the default 50 ms (then the
    # error would be the budget's, at line 2 or 3, not the crash at line 4 this is about).
    error = prove("segv", "t = ()\nfor i in range(150000):\n    t = (t,)\nhash(t)\n", **LIMITS, budget_ms=1500)
    assert error is not None and error.line == 4


def test_a_child_that_crashes_is_a_script_error_naming_the_signal(monkeypatch):
    crash = "import ctypes, faulthandler; faulthandler.enable(); ctypes.string_at(0)"
    monkeypatch.setattr(prove_module, "_child_command", lambda: [sys.executable, "-c", crash])
    error = prove("crash", "x = 1\n", **LIMITS)
    assert error is not None and "SIGSEGV" in str(error)


def test_a_child_that_hangs_is_killed_after_the_wall_clock_limit(monkeypatch):
    monkeypatch.setattr(prove_module, "_child_command", lambda: [sys.executable, "-c", "import time; time.sleep(30)"])
    started = time.monotonic()
    error = prove("hang", "x = 1\n", cpu_s=1, wall_s=1, memory_mb=256)
    assert error is not None and "wall clock" in str(error) and time.monotonic() - started < 30  # killed, not left running


def test_a_memory_bomb_is_refused():
    error = prove("bomb", "a = ['x' * 10 ** 6 + str(i) for i in range(600)]\n", **LIMITS, budget_ms=5000)
    assert error is not None and ("MemoryError" in str(error) or "MiB" in str(error))


def test_a_module_body_that_keeps_too_much_is_refused():
    error = prove("hoard", "a = [list(range(1000)) for i in range(100)]\n", **LIMITS, script_memory_kb=256)
    assert error is not None and "KB between calls" in str(error)


@pytest.mark.parametrize("source", ["n = 0\nfor i in range(100000):\n    n += i\n"])
def test_a_slow_but_fine_module_body_passes(source):
    assert prove("slow", source, **LIMITS, budget_ms=2000) is None
