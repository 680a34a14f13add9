"""``odyssey bench --processes N``: the bots split over N worker processes, one result.

Bots only see each other's moves on their own map, so each process gets the
bots of whole start maps: the move ledger that times a relay is then always
in the process that receives it. Which map a bot starts on depends on the
world's profession count, so the coordinator first asks for it with one
probe account. Then it starts the workers (``multiprocessing``, spawn) and
steers them over a pipe each: every worker ramps up and says so; once all
have, the coordinator reads ``/status.json`` and tells them to walk; once
all have walked, it reads it again and tells them to close; then it merges
their counters (sums, and latency histograms bucket by bucket, so the
percentiles are exact) and their CPU.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from multiprocessing.connection import Connection, wait
from typing import TextIO

from cluster.bench import cpu, transport
from cluster.bench.bots import BUSY_BACKOFF_S, CONNECT_TIMEOUT_S, BenchShared
from cluster.bench.measure import BenchCounters
from cluster.bench.progress import ProgressPrinter, add_snapshots, progress_line, snapshot
from cluster.bench.report import BenchResult, RunFacts, build_result
from cluster.bench.runner import BenchOptions, new_run_tag, new_shared, resolved_status_url, run_shard, start_maps_note
from cluster.bench.session import PROFESSIONS, WINDOW, BotIdentity, BotSession

SNAPSHOT_INTERVAL_S = 0.5
# A worker that has said nothing for this long after the ramp timeout is taken as hung.
SILENCE_GRACE_S = 60.0


def shard_indices(bots: int, per_map: int, professions: int, processes: int) -> list[list[int]]:
    """Bot indices per process, whole start maps each: bot i starts on map (i // per_map) % professions."""
    shards: list[list[int]] = [[] for _ in range(processes)]
    for index in range(bots):
        start_map = (index // per_map) % max(1, professions)
        shards[start_map % processes].append(index)
    return shards


class _Probe:
    """One socket that creates an account only to read the profession list (102)."""

    def __init__(self, run_tag: str) -> None:
        self.session = BotSession(BotIdentity(-1, f"probe{run_tag}@bench.local", f"bench-{run_tag}", ""), 1)
        self.found: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.connection: transport.Connection | None = None

    def on_text(self, payload: bytes | str) -> None:
        msg = transport.loads(payload)
        if not isinstance(msg, dict) or self.found.done():
            return
        if msg.get("type") == PROFESSIONS and isinstance(msg.get("profession"), list):
            self.found.set_result(len(msg["profession"]))
        elif msg.get("type") == WINDOW and msg.get("win") == "winLogin":
            if "busy" in str(msg.get("message", "")).lower():
                asyncio.get_running_loop().call_later(BUSY_BACKOFF_S[1], self.hello)
            else:
                self.found.set_exception(RuntimeError(f"probe account refused: {msg.get('message')!r}"))

    def hello(self) -> None:
        if self.connection is not None:
            self.connection.send(transport.dumps(self.session.hello()))

    def on_bad_frame(self, what: str) -> None:
        if not self.found.done():
            self.found.set_exception(RuntimeError(what))

    def on_closed(self, code: int | None) -> None:
        if not self.found.done():
            self.found.set_exception(RuntimeError(f"probe socket closed (code {code})"))


async def probe_professions(options: BenchOptions, run_tag: str) -> int:
    """The number of professions (start maps) the server offers."""
    probe = _Probe(run_tag)
    probe.connection = await transport.connect(options.client, options.url, probe, CONNECT_TIMEOUT_S)
    try:
        probe.hello()
        return await asyncio.wait_for(probe.found, options.ramp_timeout)
    finally:
        probe.connection.close()


class _PipePhases:
    """A worker's side of the phases: tell the coordinator, wait for its word."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def _ask(self, what: str, shared: BenchShared):
        self.conn.send((what, snapshot(shared)))
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    async def ramped(self, shared: BenchShared) -> bool:
        return bool(await self._ask("ramped", shared))

    async def walked(self, shared: BenchShared) -> None:
        await self._ask("walked", shared)


async def _worker(conn: Connection, options: BenchOptions, run_tag: str, indices: list[int]) -> dict:
    phases = _PipePhases(conn)
    shared = new_shared(options, indices)

    async def report() -> None:
        while True:
            conn.send(("progress", snapshot(shared)))
            await asyncio.sleep(SNAPSHOT_INTERVAL_S)

    reporter = asyncio.create_task(report())
    try:
        outcome = await run_shard(options, run_tag, indices, phases, shared)
    finally:
        reporter.cancel()
    return {"counters": outcome.counters.to_wire(), "ramp_seconds": outcome.ramp_seconds,
            "seconds_measured": outcome.seconds_measured, "cpu_seconds": outcome.cpu_seconds, "pid": outcome.pid}


def worker_main(conn: Connection, options: BenchOptions, run_tag: str, indices: list[int]) -> None:
    """A worker process: its share of the bots, steered over ``conn``."""
    try:
        conn.send(("result", transport.run(_worker(conn, options, run_tag, indices))))
    except KeyboardInterrupt:
        pass
    except BaseException as exc:  # the coordinator reports it; a worker has no terminal of its own
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))


class _Workers:
    """The coordinator's view of its worker processes."""

    def __init__(self, options: BenchOptions, run_tag: str, shards: list[list[int]]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes = []
        for indices in shards:
            ours, theirs = context.Pipe()
            process = context.Process(target=worker_main, args=(theirs, options, run_tag, indices), daemon=True)
            process.start()
            theirs.close()
            self.conns.append(ours)
            self.processes.append(process)
        self.snapshots: list[dict] = [{} for _ in shards]
        self.results: list[dict | None] = [None for _ in shards]

    def until_all(self, what: str, on_tick, tick_s: float = 1.0) -> None:
        """Collect messages until every worker has sent ``what``; ``on_tick`` runs every ``tick_s``."""
        arrived = [False] * len(self.conns)
        last_message = next_tick = time.monotonic()
        while not all(arrived):
            ready = wait([conn for conn, done in zip(self.conns, arrived) if not done], timeout=SNAPSHOT_INTERVAL_S)
            for conn in ready:
                index = self.conns.index(conn)
                try:
                    kind, body = conn.recv()
                except EOFError:
                    raise RuntimeError(f"bench process {index + 1} exited without a result") from None
                last_message = time.monotonic()
                if kind == "failed":
                    raise RuntimeError(f"bench process {index + 1} failed: {body}")
                if kind == "result":
                    self.results[index] = body
                else:
                    self.snapshots[index] = body
                arrived[index] = arrived[index] or kind == what
            if time.monotonic() - last_message > SILENCE_GRACE_S:
                raise RuntimeError(f"bench processes silent for {SILENCE_GRACE_S:g} s while waiting for '{what}'")
            if time.monotonic() >= next_tick:
                on_tick()
                next_tick += tick_s

    def progress(self, printer: ProgressPrinter, phase: str, bots: int):
        """A tick that shows the workers' summed progress."""
        return lambda: printer.show(progress_line(phase, add_snapshots(self.snapshots), bots))

    def tell(self, word: object) -> None:
        for conn in self.conns:
            conn.send(word)

    def stop(self) -> None:
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()


def run_processes(options: BenchOptions, progress: TextIO | None = None) -> BenchResult:
    """One bench run over ``options.processes`` worker processes; the merged result."""
    run_tag = options.run_tag or new_run_tag()
    printer = ProgressPrinter(progress)
    professions = transport.run(probe_professions(options, run_tag))
    shards = [indices for indices in shard_indices(options.bots, options.per_map, professions, options.processes)
              if indices]
    if len(shards) < options.processes:
        printer.note(f"note: {professions} start maps fill only {len(shards)} bench processes")
    status_url = resolved_status_url(options)
    workers = _Workers(options, run_tag, shards)
    before = after = None
    status_error = None
    coordinator_cpu = 0.0
    try:
        workers.until_all("ramped", workers.progress(printer, "connecting", options.bots), printer.interval_s)
        printer.end_line()
        note = start_maps_note(options, professions)
        if note:
            printer.note(note)
        walk = add_snapshots(workers.snapshots)["in_game"] > 0
        if walk and status_url:
            before, status_error = cpu.try_fetch_status(status_url)
        cpu_before = time.process_time()
        workers.tell(walk)
        if walk:
            workers.until_all("walked", workers.progress(printer, "walking", options.bots), printer.interval_s)
            coordinator_cpu = time.process_time() - cpu_before
            printer.end_line()
            if before is not None:
                after, status_error = cpu.try_fetch_status(status_url, before)
            workers.tell("close")
        workers.until_all("result", lambda: None)
    finally:
        printer.end_line()
        workers.stop()
    return _merge(options, run_tag, workers, before, after, status_url, status_error, coordinator_cpu)


def _merge(options: BenchOptions, run_tag: str, workers: _Workers, before: dict | None, after: dict | None,
           status_url: str | None, status_error: str | None, coordinator_cpu: float) -> BenchResult:
    counters = BenchCounters()
    results = [result for result in workers.results if result is not None]
    for result in results:
        counters.add(BenchCounters.from_wire(result["counters"]))
    seconds = max((result["seconds_measured"] for result in results), default=0.0)
    facts = RunFacts(
        url=options.url, run_tag=run_tag, bots_requested=options.bots, per_map=options.per_map,
        client=transport.describe(options.client), processes=len(results),
        ramp_seconds=max((result["ramp_seconds"] for result in results), default=0.0),
        seconds_measured=seconds, status_url=status_url, status_error=status_error)
    if seconds > 0:
        facts.bench_cpu = [cpu.bench_process(f"bench-{index + 1}", result["pid"], result["cpu_seconds"], seconds)
                           for index, result in enumerate(results)]
        facts.bench_cpu.append(cpu.bench_process("coordinator", os.getpid(), coordinator_cpu, seconds))
    if before is not None and after is not None:
        facts.server_cpu = cpu.node_cpu(before, after)
    return build_result(facts, counters)
