"""Progress lines of ``odyssey bench``: rewritten in place on a terminal, one line a second otherwise.

A line is made from a small snapshot dict (``snapshot``), which a worker
process can send to its coordinator and the coordinator can add up
(``add_snapshots``), so one and many processes print the same lines.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TextIO

PROGRESS_TTY_INTERVAL_S = 0.25
PROGRESS_LOG_INTERVAL_S = 1.0
SNAPSHOT_SUMS = ("in_game", "errors", "busy_retries", "moves_sent", "relays_received")


def snapshot(shared) -> dict:
    """The counters a progress line shows, and the walk's clock (``shared`` is a BenchShared)."""
    counters = shared.counters
    now = time.perf_counter()
    walking = shared.walk_end_at > 0
    return {"in_game": counters.in_game, "errors": counters.error_total, "busy_retries": counters.busy_retries,
            "moves_sent": counters.moves_sent, "relays_received": counters.relays_received,
            "walk_elapsed": min(now, shared.walk_end_at) - shared.walk_start_at if walking else 0.0,
            "walk_total": shared.walk_end_at - shared.walk_start_at if walking else 0.0}


def add_snapshots(snapshots: list[dict]) -> dict:
    total = {key: sum(snap.get(key, 0) for snap in snapshots) for key in SNAPSHOT_SUMS}
    total["walk_elapsed"] = max((snap.get("walk_elapsed", 0.0) for snap in snapshots), default=0.0)
    total["walk_total"] = max((snap.get("walk_total", 0.0) for snap in snapshots), default=0.0)
    return total


def progress_line(phase: str, snap: dict, bots: int) -> str:
    if phase == "connecting":
        busy = f", {snap['busy_retries']} busy retries" if snap["busy_retries"] else ""
        return f"connecting: {snap['in_game']}/{bots} bots in game, {snap['errors']} errors{busy}"
    elapsed = max(1e-9, snap["walk_elapsed"])
    return (f"walking: {elapsed:.0f}/{snap['walk_total']:.0f} s, {snap['moves_sent'] / elapsed:.0f} moves/s, "
            f"{snap['relays_received'] / elapsed:.0f} relays/s, {snap['errors']} errors")


class ProgressPrinter:
    """Writes progress lines to a stream (or nowhere when it is None)."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty())
        self.interval_s = PROGRESS_TTY_INTERVAL_S if self.tty else PROGRESS_LOG_INTERVAL_S
        self._line_open = False
        self._last_line = ""

    def show(self, line: str) -> None:
        if self.stream is None:
            return
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
            self._line_open = True
        elif line != self._last_line:
            self.stream.write(line + "\n")
        self._last_line = line
        self.stream.flush()

    def note(self, text: str) -> None:
        if self.stream is not None:
            self.end_line()
            print(text, file=self.stream, flush=True)

    def end_line(self) -> None:
        if self._line_open and self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()
        self._line_open = False


class ProgressReporter:
    """A phase's progress line, refreshed by a task of the running loop."""

    def __init__(self, stream: TextIO | None, bots: int) -> None:
        self.printer = ProgressPrinter(stream)
        self.bots = bots
        self._task: asyncio.Task[None] | None = None
        self._line: Callable[[], str] = str

    def start(self, phase: str, take: Callable[[], dict]) -> None:
        self.stop()
        if self.printer.stream is not None:
            self._line = lambda: progress_line(phase, take(), self.bots)
            self._task = asyncio.create_task(self._loop())

    def stop(self) -> None:
        """End the current phase's line, showing its final state."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.printer.show(self._line())
        self.printer.end_line()

    def note(self, text: str) -> None:
        self.printer.note(text)

    async def _loop(self) -> None:
        while True:
            self.printer.show(self._line())
            await asyncio.sleep(self.printer.interval_s)
