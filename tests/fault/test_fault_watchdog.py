"""A hung node ends itself: the lifeline's watchdog (cluster.lifeline) in a real process.

A loop that stops turning is ended with WATCHDOG_EXIT and one log line naming what it was doing;
a loop stuck in a C call that holds the GIL (so no Python thread can run) is ended by the
faulthandler timer at twice the watchdog, with every thread's stack on stderr.
"""
from __future__ import annotations

import subprocess
import sys

from harness import REPO

from cluster.lifeline import WATCHDOG_EXIT

PROBE = """
import logging, sys, time
from cluster.lifeline import Lifeline
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
line = Lifeline("probe", "x", interval_ms=100, watchdog_ms=500).start()
for _ in range(5):
    line.turn()
    time.sleep(0.05)
line.doing = ("handling %s for map %s", "PKT", 3)
{hang}
"""


def run_probe(hang: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE.format(hang=hang)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_a_loop_that_stops_turning_is_ended_with_the_watchdog_code_and_one_line():
    result = run_probe("time.sleep(30)")
    assert result.returncode == WATCHDOG_EXIT, result.stderr
    lines = [line for line in result.stderr.splitlines() if "watchdog" in line]
    assert len(lines) == 1 and "handling PKT for map 3" in lines[0], result.stderr


def test_a_loop_stuck_in_a_c_call_holding_the_gil_is_ended_by_the_c_timer():
    result = run_probe("sum(range(10 ** 12))")
    assert result.returncode != 0
    assert "Timeout" in result.stderr and "probe-lifeline" not in result.stdout, result.stderr[-2000:]


def test_a_loop_that_keeps_turning_is_left_alone():
    result = run_probe("for _ in range(30):\n    line.turn()\n    time.sleep(0.05)\nprint('done')")
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr
