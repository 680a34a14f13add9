"""One bench process: bring its bots into the world, walk them, close them; ``run_bench`` is the async API.

A run has three phases. Ramp-up: bots are started at ``connect_rate`` and
each creates an account and a character (about ``per_map`` bots share a
start map) until every bot is in game or failed, or the ramp timeout.
Walking: each bot takes a random step a second and chats now and then for
``seconds``; moves, 115 relays and move→relay latencies are counted. Then a
short drain for relays in flight, and every socket is closed.

Between the phases a ``Phases`` object decides what happens: in a single
process (``run_bench``) it reads the server's ``/status.json`` before and
after the walk; in a worker process of ``--processes N``
(``cluster.bench.shards``) it reports to the coordinator and waits for its
word, so all processes walk at the same time.
"""
from __future__ import annotations

import asyncio
import math
import os
import random
import secrets
import string
import time
from dataclasses import dataclass
from typing import Protocol, TextIO

from cluster.bench import cpu, transport
from cluster.bench.bots import BenchShared, Bot, Walker, relays_expected
from cluster.bench.measure import BenchCounters, ErrorKind
from cluster.bench.progress import ProgressReporter, snapshot
from cluster.bench.report import BenchResult, RunFacts, build_result
from cluster.bench.session import BotIdentity

RAMP_POLL_S = 0.05
# Relays of the last moves may still be in flight when the walking phase ends.
DRAIN_S = 1.0
# An unanswered close handshake is given up after this.
CLOSE_TIMEOUT_S = 6.0
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
    processes: int = 1  # bench worker processes, each with its share of the bots (whole maps)
    client: str = transport.default_backend()  # "picows" or "tornado"
    status_url: str | None = None  # None = derived from url; "" = do not read the server's CPU


def new_run_tag() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(RUN_TAG_LENGTH))


def resolved_status_url(options: BenchOptions) -> str | None:
    if options.status_url is None:
        return cpu.status_url_for(options.url)
    return options.status_url or None


def new_shared(options: BenchOptions, indices: list[int]) -> BenchShared:
    """The state the bots ``indices`` share; a seeded run gives each process its own stream."""
    seed = None if options.seed is None else options.seed * 1009 + (indices[0] if indices else 0)
    return BenchShared(options.url, options.per_map, options.chat_every, random.Random(seed), options.client)


@dataclass(slots=True)
class ShardOutcome:
    """What one bench process measured."""

    counters: BenchCounters
    ramp_seconds: float
    seconds_measured: float
    cpu_seconds: float  # this process's CPU time over the walk
    pid: int


class Phases(Protocol):
    """The bench's word between phases (see the module docstring)."""

    async def ramped(self, shared: BenchShared) -> bool:
        """The ramp is over: return once the walk may start (False: do not walk)."""

    async def walked(self, shared: BenchShared) -> None:
        """The walk is over: return once the bots may close."""


async def run_shard(options: BenchOptions, run_tag: str, indices: list[int], phases: Phases,
                    shared: BenchShared | None = None) -> ShardOutcome:
    """Play the bots ``indices`` of a run through its phases."""
    shared = shared or new_shared(options, indices)
    bots = [Bot(BotIdentity.for_bot(run_tag, index), shared) for index in indices]
    tasks: list[asyncio.Task[None]] = []
    ramp_started = time.perf_counter()
    ramp_seconds = seconds_measured = cpu_seconds = 0.0
    spawner = asyncio.create_task(_start_bots(bots, tasks, options.connect_rate))
    try:
        await _wait_for_ramp(shared, bots, spawner, options.ramp_timeout)
        ramp_seconds = time.perf_counter() - ramp_started
        spawner.cancel()
        for bot in bots:
            if not bot.in_game and not bot.failed:
                bot.give_up(ErrorKind.RAMP_TIMEOUT, f"not in game after {options.ramp_timeout:g} s")
        if await phases.ramped(shared):
            cpu_before = time.process_time()
            shared.start_walking(options.seconds)
            await Walker(shared, bots).run()
            await asyncio.sleep(max(0.0, shared.walk_end_at - time.perf_counter()))
            cpu_seconds = time.process_time() - cpu_before
            seconds_measured = shared.walk_end_at - shared.walk_start_at
            await phases.walked(shared)
            await asyncio.sleep(DRAIN_S)
    finally:
        shared.measuring = False
        shared.stopping = True
        spawner.cancel()
        await _close_all(bots, tasks)
    counters = shared.counters
    counters.bounces = sum(bot.session.bounces for bot in bots)
    counters.relays_expected = relays_expected(bots)
    return ShardOutcome(counters, ramp_seconds, seconds_measured, cpu_seconds, os.getpid())


class LocalPhases:
    """One bench process: progress lines, and the server's CPU read around the walk."""

    def __init__(self, options: BenchOptions, reporter: ProgressReporter) -> None:
        self.options = options
        self.reporter = reporter
        self.status_url = resolved_status_url(options)
        self.before: dict | None = None
        self.after: dict | None = None
        self.status_error: str | None = None

    async def ramped(self, shared: BenchShared) -> bool:
        self.reporter.stop()
        note = start_maps_note(self.options, shared.counters.profession_count)
        if note:
            self.reporter.note(note)
        if not shared.counters.in_game:
            return False
        if self.status_url:
            self.before, self.status_error = await asyncio.to_thread(cpu.try_fetch_status, self.status_url)
        self.reporter.start("walking", lambda: snapshot(shared))
        return True

    async def walked(self, shared: BenchShared) -> None:
        if self.status_url and self.before is not None:
            self.after, self.status_error = await asyncio.to_thread(cpu.try_fetch_status, self.status_url, self.before)
        self.reporter.stop()


async def run_bench(options: BenchOptions, progress: TextIO | None = None) -> BenchResult:
    """Run one bench against ``options.url`` in this process; progress lines go to ``progress`` if given."""
    run_tag = options.run_tag or new_run_tag()
    rng = random.Random(options.seed)
    shared = BenchShared(options.url, options.per_map, options.chat_every, rng, options.client)
    reporter = ProgressReporter(progress, options.bots)
    phases = LocalPhases(options, reporter)
    reporter.start("connecting", lambda: snapshot(shared))
    try:
        outcome = await run_shard(options, run_tag, list(range(options.bots)), phases, shared)
    finally:
        reporter.stop()
    facts = RunFacts(
        url=options.url, run_tag=run_tag, bots_requested=options.bots, per_map=options.per_map,
        client=transport.describe(options.client), processes=1, ramp_seconds=outcome.ramp_seconds,
        seconds_measured=outcome.seconds_measured, status_url=phases.status_url, status_error=phases.status_error,
        bench_cpu=[cpu.bench_process("bench", outcome.pid, outcome.cpu_seconds, outcome.seconds_measured)]
        if outcome.seconds_measured > 0 else [])
    if phases.before is not None and phases.after is not None:
        facts.server_cpu = cpu.node_cpu(phases.before, phases.after)
    return build_result(facts, outcome.counters)


def start_maps_note(options: BenchOptions, professions: int) -> str | None:
    wanted = math.ceil(options.bots / options.per_map)
    if 0 < professions < wanted:
        return (f"note: the world has {professions} professions, so bots are spread over only "
                f"{professions} start maps (wanted {wanted}; generate a bigger world with "
                "`odyssey world generate --maps N`)")
    return None


async def _start_bots(bots: list[Bot], tasks: list[asyncio.Task[None]], connect_rate: float) -> None:
    started_at = time.perf_counter()
    for count, bot in enumerate(bots):
        delay = started_at + count / connect_rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(bot.run()))


async def _wait_for_ramp(shared: BenchShared, bots: list[Bot], spawner: asyncio.Task[None],
                         ramp_timeout: float) -> None:
    """Return once every bot is in game or failed, or at the ramp timeout."""
    deadline = time.perf_counter() + ramp_timeout
    counters = shared.counters
    while time.perf_counter() < deadline:
        # The cheap count first; a bot that fails after getting in game is in both tallies.
        if counters.in_game + counters.error_total >= len(bots) and spawner.done():
            if all(bot.in_game or bot.failed for bot in bots):
                return
        await asyncio.sleep(RAMP_POLL_S)


async def _close_all(bots: list[Bot], tasks: list[asyncio.Task[None]]) -> None:
    for bot in bots:
        bot.close()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
