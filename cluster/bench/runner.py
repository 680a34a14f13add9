"""``odyssey bench``: a load generator that plays many simulated clients at once.

Every bot creates an account and a character (about ``--per-map`` bots share
a start map), enters the world, then, once all bots are in game, takes one
random step a second and chats now and then. The bench measures the moves
sent, the 115 relays received and the move→relay latency, then closes every
socket and stops by itself. Run as ``odyssey bench ...`` or
``python -m cluster.bench ...``; ``run_bench`` is the async API for tests.

Only Tornado and the standard library are used, so it runs on any box that
can reach the edge.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import random
import secrets
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from cluster.bench.session import BenchBot, BenchShared, BotIdentity, ErrorKind

RAMP_POLL_S = 0.05
# Relays of the last moves may still be in flight when the walking phase ends.
DRAIN_S = 1.0
# Tornado aborts an unanswered close handshake after 5 s.
CLOSE_TIMEOUT_S = 6.0
PROGRESS_TTY_INTERVAL_S = 0.25
PROGRESS_LOG_INTERVAL_S = 1.0
RUN_TAG_LENGTH = 6


@dataclass(slots=True)
class BenchOptions:
    """Settings of one bench run; the defaults here are the CLI defaults."""

    url: str = "ws://127.0.0.1:8080/"
    bots: int = 100
    per_map: int = 10
    seconds: float = 30.0
    connect_rate: float = 50.0
    chat_every: float = 20.0  # mean seconds between a bot's chat lines; 0 = never
    ramp_timeout: float = 120.0
    seed: int | None = None
    json: bool = False
    run_tag: str | None = None  # None = a fresh random tag, so reruns never clash


@dataclass(slots=True)
class BenchResult:
    """What a bench run measured; ``to_dict`` is the ``--json`` output."""

    url: str
    run_tag: str
    bots_requested: int
    bots_in_game: int
    start_maps: int
    ramp_seconds: float
    seconds_measured: float
    moves_sent: int
    moves_per_s: float
    relays_received: int
    relays_per_s: float
    latency_samples: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None
    chats_sent: int
    errors: int
    connect_failures: int
    protocol_errors: int
    closed_connections: int
    ramp_timeouts: int
    error_samples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _percentile_ms(ordered_s: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered_s:
        return None
    rank = max(1, math.ceil(fraction * len(ordered_s)))
    return round(ordered_s[rank - 1] * 1000.0, 3)


class ProgressReporter:
    """Prints a status line: rewritten in place on a terminal, one line a second otherwise."""

    def __init__(self, stream: TextIO | None, shared: BenchShared, bots: int) -> None:
        self._stream = stream
        self._shared = shared
        self._bots = bots
        self._tty = bool(stream is not None and stream.isatty())
        self._line_open = False
        self._task: asyncio.Task[None] | None = None
        self._describe: Callable[[], str] = str
        self._last_line = ""

    def start(self, describe: Callable[[], str]) -> None:
        self.stop()
        if self._stream is not None:
            self._describe = describe
            self._task = asyncio.create_task(self._loop(describe))

    def stop(self) -> None:
        """End the current phase's line, showing its final state."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self._show(self._describe())
        self._end_line()

    def note(self, text: str) -> None:
        if self._stream is not None:
            self._end_line()
            print(text, file=self._stream, flush=True)

    def connecting_line(self) -> str:
        counters = self._shared.counters
        return f"connecting: {counters.in_game}/{self._bots} bots in game, {counters.error_total} errors"

    def walking_line(self) -> str:
        shared, counters = self._shared, self._shared.counters
        elapsed = max(1e-9, min(time.perf_counter(), shared.walk_end_at) - shared.walk_start_at)
        total = shared.walk_end_at - shared.walk_start_at
        return (
            f"walking: {elapsed:.0f}/{total:.0f} s, {counters.moves_sent / elapsed:.0f} moves/s, "
            f"{counters.relays_received / elapsed:.0f} relays/s, {counters.error_total} errors"
        )

    async def _loop(self, describe: Callable[[], str]) -> None:
        interval = PROGRESS_TTY_INTERVAL_S if self._tty else PROGRESS_LOG_INTERVAL_S
        while True:
            self._show(describe())
            await asyncio.sleep(interval)

    def _show(self, line: str) -> None:
        assert self._stream is not None
        if self._tty:
            self._stream.write("\r" + line + "\x1b[K")
            self._line_open = True
        elif line != self._last_line:
            self._stream.write(line + "\n")
        self._last_line = line
        self._stream.flush()

    def _end_line(self) -> None:
        if self._line_open and self._stream is not None:
            self._stream.write("\n")
            self._stream.flush()
        self._line_open = False


async def run_bench(options: BenchOptions, progress: TextIO | None = None) -> BenchResult:
    """Run one bench against ``options.url``; progress lines go to ``progress`` if given."""
    run_tag = options.run_tag or "".join(
        secrets.choice(string.ascii_lowercase + string.digits) for _ in range(RUN_TAG_LENGTH)
    )
    shared = BenchShared(options.url, options.per_map, options.chat_every, random.Random(options.seed))
    reporter = ProgressReporter(progress, shared, options.bots)
    bots = [BenchBot(BotIdentity.for_bot(run_tag, index), shared) for index in range(options.bots)]
    tasks: list[asyncio.Task[None]] = []
    ramp_started = time.perf_counter()
    ramp_seconds = seconds_measured = 0.0
    reporter.start(reporter.connecting_line)
    spawner = asyncio.create_task(_start_bots(bots, tasks, options.connect_rate))
    try:
        await _wait_for_ramp(shared, bots, spawner, options.ramp_timeout)
        ramp_seconds = time.perf_counter() - ramp_started
        spawner.cancel()
        for bot in bots:
            if not bot.in_game and not bot.failed:
                bot.give_up(ErrorKind.RAMP_TIMEOUT, f"not in game after {options.ramp_timeout:g} s")
        reporter.stop()
        _note_start_maps(reporter, shared, options)
        if shared.counters.in_game:
            shared.start_walking(options.seconds)
            reporter.start(reporter.walking_line)
            await asyncio.sleep(options.seconds)
            seconds_measured = shared.walk_end_at - shared.walk_start_at
            await asyncio.sleep(DRAIN_S)
    finally:
        shared.measuring = False
        shared.stopping = True
        reporter.stop()
        spawner.cancel()
        await _close_all(bots, tasks)
    return _result(options, run_tag, shared, ramp_seconds, seconds_measured)


async def _start_bots(bots: list[BenchBot], tasks: list[asyncio.Task[None]], connect_rate: float) -> None:
    started_at = time.perf_counter()
    for count, bot in enumerate(bots):
        delay = started_at + count / connect_rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(bot.run()))


async def _wait_for_ramp(
    shared: BenchShared, bots: list[BenchBot], spawner: asyncio.Task[None], ramp_timeout: float
) -> None:
    """Return once every bot is in game or failed, or at the ramp timeout."""
    deadline = time.perf_counter() + ramp_timeout
    counters = shared.counters
    while time.perf_counter() < deadline:
        # The cheap count first; a bot that fails after getting in game is in both tallies.
        if counters.in_game + counters.error_total >= len(bots) and spawner.done():
            if all(bot.in_game or bot.failed for bot in bots):
                return
        await asyncio.sleep(RAMP_POLL_S)


def _note_start_maps(reporter: ProgressReporter, shared: BenchShared, options: BenchOptions) -> None:
    wanted = math.ceil(options.bots / options.per_map)
    professions = shared.counters.profession_count
    if 0 < professions < wanted:
        reporter.note(
            f"note: the world has {professions} professions, so bots are spread over only "
            f"{professions} start maps (wanted {wanted}; generate a bigger world with "
            "`odyssey world generate --maps N`)"
        )


async def _close_all(bots: list[BenchBot], tasks: list[asyncio.Task[None]]) -> None:
    for bot in bots:
        bot.close()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _result(
    options: BenchOptions, run_tag: str, shared: BenchShared, ramp_seconds: float, seconds_measured: float
) -> BenchResult:
    counters = shared.counters
    latencies = sorted(counters.latencies_s)
    per_second = 1.0 / seconds_measured if seconds_measured > 0 else 0.0
    return BenchResult(
        url=options.url,
        run_tag=run_tag,
        bots_requested=options.bots,
        bots_in_game=counters.in_game,
        start_maps=min(counters.profession_count, math.ceil(options.bots / options.per_map)),
        ramp_seconds=round(ramp_seconds, 3),
        seconds_measured=round(seconds_measured, 3),
        moves_sent=counters.moves_sent,
        moves_per_s=round(counters.moves_sent * per_second, 1),
        relays_received=counters.relays_received,
        relays_per_s=round(counters.relays_received * per_second, 1),
        latency_samples=len(latencies),
        latency_p50_ms=_percentile_ms(latencies, 0.50),
        latency_p99_ms=_percentile_ms(latencies, 0.99),
        latency_max_ms=_percentile_ms(latencies, 1.0),
        chats_sent=counters.chats_sent,
        errors=counters.error_total,
        connect_failures=counters.errors[ErrorKind.CONNECT],
        protocol_errors=counters.errors[ErrorKind.PROTOCOL],
        closed_connections=counters.errors[ErrorKind.CLOSED],
        ramp_timeouts=counters.errors[ErrorKind.RAMP_TIMEOUT],
        error_samples=list(counters.error_samples),
    )


def format_result(result: BenchResult) -> str:
    """The human-readable report printed at the end of a run."""

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} ms"

    lines = [
        f"bench {result.url} (run {result.run_tag})",
        f"  bots in game:        {result.bots_in_game}/{result.bots_requested} "
        f"on {result.start_maps} start maps (ramp-up {result.ramp_seconds:.1f} s)",
        f"  seconds measured:    {result.seconds_measured:.1f}",
        f"  moves sent:          {result.moves_sent} ({result.moves_per_s:.1f}/s)",
        f"  115 relays received: {result.relays_received} ({result.relays_per_s:.1f}/s)",
        f"  move->relay latency: p50 {ms(result.latency_p50_ms)}, p99 {ms(result.latency_p99_ms)}, "
        f"max {ms(result.latency_max_ms)} ({result.latency_samples} samples)",
        f"  chats sent:          {result.chats_sent}",
        f"  errors:              {result.errors} (connect failures {result.connect_failures}, "
        f"protocol errors {result.protocol_errors}, closed connections {result.closed_connections}, "
        f"ramp timeouts {result.ramp_timeouts})",
    ]
    lines += [f"    {sample}" for sample in result.error_samples]
    return "\n".join(lines)


def positive(kind: type) -> Callable[[str], int | float]:
    """An argparse type: a number of ``kind`` above zero (shared by the bench commands)."""
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> BenchOptions:
    """Command-line options of ``odyssey bench`` as a ``BenchOptions``."""
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="odyssey bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=defaults.url, help="edge websocket URL (default %(default)s)")
    parser.add_argument("--bots", type=positive(int), default=defaults.bots, help="bots (default %(default)s)")
    parser.add_argument(
        "--per-map", type=positive(int), default=defaults.per_map, help="bots per start map (default %(default)s)"
    )
    parser.add_argument(
        "--seconds", type=positive(float), default=defaults.seconds, help="measured walking time (default %(default)s)"
    )
    parser.add_argument(
        "--connect-rate", type=positive(float), default=defaults.connect_rate,
        help="bots started per second during ramp-up (default %(default)s)",
    )
    parser.add_argument(
        "--chat-every", type=float, default=defaults.chat_every,
        help="mean seconds between a bot's chat lines, 0 = never (default %(default)s)",
    )
    parser.add_argument(
        "--ramp-timeout", type=positive(float), default=defaults.ramp_timeout,
        help="seconds to wait for every bot to be in game (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed for steps and chat timing")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    return BenchOptions(
        url=args.url, bots=args.bots, per_map=args.per_map, seconds=args.seconds, connect_rate=args.connect_rate,
        chat_every=args.chat_every, ramp_timeout=args.ramp_timeout, seed=args.seed, json=args.json,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``odyssey bench``: 0 if the run had no errors, 1 otherwise."""
    options = parse_args(argv)
    progress = sys.stderr if options.json else sys.stdout  # keep --json stdout parseable
    try:
        result = asyncio.run(run_bench(options, progress=progress))
    except KeyboardInterrupt:
        return 130
    print(json.dumps(result.to_dict()) if options.json else format_result(result), flush=True)
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
