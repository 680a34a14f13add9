"""``python -m scripting.bench``: the cost of one hook call, in µs.

Calls a trivial hook (``def hook(pid): return 1``) through ``ScriptHooks.call``
as a map worker does — the ``game`` API bound and released, the time budget
armed and disarmed, the queued packets absorbed — and prints the median of a
few rounds. A second line times a hook that does a little work (a loop, a
dict, comparisons), which shows what the compiled-in guards cost.
"""
from __future__ import annotations

import argparse
import statistics
import time

from scripting.hooks import ScriptHooks
from workers.runtime import Effects

TRIVIAL = "def hook(pid):\n    return 1\n"
BUSY = """
def hook(pid):
    seen = {}
    total = 0
    for i in range(20):
        seen[(i, pid)] = i - 1
        if i == pid or (i, pid) in seen:
            total += i * 2
    return total
"""


def per_call_us(source: str, calls: int, rounds: int) -> float:
    """Median µs of one ``ScriptHooks.call`` of ``hook`` over ``rounds`` rounds of ``calls`` calls."""
    hooks = ScriptHooks(budget_ms=50)
    error = hooks.update("bench", source)
    if error:
        raise SystemExit(error)
    effects = Effects()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            hooks.call(None, None, effects, "bench", "hook", (3,))
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"trivial hook: {per_call_us(TRIVIAL, args.calls, args.rounds):.2f} µs per call")
    print(f"busy hook (20 iterations): {per_call_us(BUSY, args.calls // 10, args.rounds):.2f} µs per call")


if __name__ == "__main__":
    main()
