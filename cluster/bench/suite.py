"""``odyssey bench-suite``: a cluster started for the purpose, several bench runs, one table.

In a temporary directory it generates a bench world (enough maps for the
largest run at ``--per-map``, ``--npcs`` wanderers on each), starts
``odyssey up`` on it on a free port with cheap password hashing (so the
ramp-up measures the game, not argon2), runs ``odyssey bench`` with each
``--bots`` count in turn (waiting between runs until the last run's players
have logged out), prints one table (latency, errors, server CPU per node,
bench CPU), then stops the cluster (SIGTERM, as Ctrl-C would) and removes
the directory unless ``--keep``.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import socket
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from cluster.bench import command, cpu, worldgen
from cluster.bench.report import BenchResult
from cluster.bench.runner import BenchOptions

# Cheap argon2: 6,000 accounts must not take the suite's time (the cluster tests use the same).
SUITE_CONFIG = """[storage]
argon2_time_cost = 1
argon2_memory_kib = 8192
argon2_parallelism = 1
"""
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0
LOGOUT_TIMEOUT_S = 60.0
# The ramp timeout is at least the time it takes to start every bot, plus this.
RAMP_SLACK_S = 120.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="odyssey bench-suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bots", default="1000,2000,3000",
                        help="comma-separated bot counts, one run each (default %(default)s)")
    command.add_load_arguments(parser, defaults)
    parser.add_argument("--npcs", type=int, default=2, help="wandering NPCs per map (default %(default)s)")
    parser.add_argument("--workers", type=command.positive(int), default=2,
                        help="map workers of the cluster (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (world, data, log)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON list")
    args = parser.parse_args(argv)
    try:
        args.bot_counts = [int(part) for part in args.bots.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--bots must be comma-separated numbers, not {args.bots!r}")
    if not args.bot_counts or min(args.bot_counts) < 1:
        parser.error("--bots needs at least one count above 0")
    return args


class Cluster:
    """``odyssey up`` in a child process, its output in a log file."""

    def __init__(self, root: Path, world: Path, workers: int, port: int) -> None:
        self.log_path = root / "odyssey-up.log"
        config = root / "suite.toml"
        config.write_text(SUITE_CONFIG)
        argv = [sys.executable, "-m", "cluster.cli", "up", "--config", str(config), "--data-dir",
                str(root / "data"), "--world", str(world), "--port", str(port), "--workers", str(workers)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"ws://127.0.0.1:{port}/"
        self.status_url = cpu.status_url_for(self.url)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"odyssey up exited with {self.process.returncode}; see {self.log_path}")
            if "Odyssey is up" in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the cluster was not up after {READY_TIMEOUT_S:g} s; see {self.log_path}")

    def wait_logged_out(self) -> None:
        """Until no session is left from the last run (or the timeout: the next run goes ahead anyway)."""
        deadline = time.monotonic() + LOGOUT_TIMEOUT_S
        while time.monotonic() < deadline:
            view, _error = cpu.try_fetch_status(self.status_url)
            if view is not None and not view.get("sessions") and not view.get("players_in_game"):
                return
            time.sleep(1.0)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def format_table(results: list[BenchResult]) -> str:
    """One row per run: bots, latency, errors, CPU per server node, server total, bench CPU."""
    nodes: list[str] = []
    for result in results:
        nodes += [entry["name"] for entry in result.server_cpu if entry["name"] not in nodes]
    header = ["bots", "in game", "p50 ms", "p99 ms", "max ms", "errors", "busy", "moves/s", *nodes, "server",
              "µs/move", "bench"]
    rows = [header]
    for result in results:
        per_node = {entry["name"]: entry["cpu_percent"] for entry in result.server_cpu}
        rows.append([str(result.bots_requested), str(result.bots_in_game), _ms(result.latency_p50_ms),
                     _ms(result.latency_p99_ms), _ms(result.latency_max_ms), str(result.errors),
                     str(result.busy_retries), f"{result.moves_per_s:.0f}", *(_pct(per_node.get(n)) for n in nodes),
                     _pct(result.server_cpu_percent),
                     "-" if result.server_cpu_us_per_move is None else f"{result.server_cpu_us_per_move:.0f}",
                     _pct(result.bench_cpu_percent)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def free_port() -> int:
    """A TCP port of loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_suite(args: argparse.Namespace, root: Path, progress: TextIO) -> list[BenchResult]:
    maps = math.ceil(max(args.bot_counts) / args.per_map)
    world = root / "world"
    print(f"suite: generating a world of {maps} maps with {args.npcs} NPCs each in {world}", file=progress, flush=True)
    if worldgen.main(["--maps", str(maps), "--npcs", str(args.npcs), str(world)]) != 0:
        raise RuntimeError("the world could not be generated")
    cluster = Cluster(root, world, args.workers, free_port())
    print(f"suite: starting odyssey up on {cluster.url} (log {cluster.log_path})", file=progress, flush=True)
    results: list[BenchResult] = []
    try:
        cluster.wait_ready()
        for number, bots in enumerate(args.bot_counts, 1):
            if results:
                print("suite: waiting for the last run's players to log out", file=progress, flush=True)
                cluster.wait_logged_out()
            print(f"suite: run {number}/{len(args.bot_counts)}: {bots} bots for {args.seconds:g} s",
                  file=progress, flush=True)
            options = BenchOptions(url=cluster.url, bots=bots, per_map=args.per_map, seconds=args.seconds,
                                   connect_rate=args.connect_rate, chat_every=args.chat_every,
                                   ramp_timeout=max(args.ramp_timeout, bots / args.connect_rate + RAMP_SLACK_S),
                                   seed=args.seed, processes=args.processes, client=args.client,
                                   status_url=cluster.status_url)
            results.append(command.run(options, progress))
            for warning in results[-1].warnings:
                print(f"suite: warning: {warning}", file=progress, flush=True)
    finally:
        print("suite: stopping the cluster", file=progress, flush=True)
        code = cluster.stop()
        print(f"suite: odyssey up exited with {code}", file=progress, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``odyssey bench-suite``: 0 if every run had no errors, 1 otherwise."""
    args = parse_args(argv)
    progress = sys.stderr if args.json else sys.stdout
    root = Path(tempfile.mkdtemp(prefix="odyssey-bench-suite-"))
    try:
        results = run_suite(args, root, progress)
    except KeyboardInterrupt:
        return 130
    except RuntimeError as error:
        print(f"odyssey bench-suite: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"suite: kept {root}", file=progress, flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps([result.to_dict() for result in results]), flush=True)
    else:
        print(f"\nbench suite: {results[0].client if results else ''}, {args.seconds:g} s walks, "
              f"{args.per_map} bots per map, {args.processes} bench process(es)")
        print(format_table(results), flush=True)
    return 0 if all(result.errors == 0 for result in results) else 1
