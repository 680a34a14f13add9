"""``odyssey bench-storage``: the checkpoint writes/s the storage worker sustains.

A real ``storage.node.Storage`` on a real LMDB environment (a temporary data
directory unless ``--data-dir``; the starter world loaded as on first start)
is driven the way its loop drives it: each turn, the CKPT commands that
arrived are decoded from one frame and applied in one write transaction,
which is committed (synced) before anything would be acknowledged.

The commands are what map workers send, as the broker forwards them
(``["CKPT", sender, map_id, epoch, runtime_snapshot, [[pid, char_key,
record], ...]]``): ``--players`` characters filled like real ones, spread
evenly over ``--maps`` maps, each map checkpointing its players (and its
runtime state) ``--rate`` times a second with the per-map phase a map worker
uses. A turn happens every ``--turn-ms`` (map workers look for due maps in
50 ms slices) and takes whatever is due; a turn that overruns is followed at
once by the next, which then carries the backlog.

``--max`` ignores the clock: the schedule advances one ``--turn-ms`` slice
per turn and turns run back to back, so the result is the capacity for
transactions of that shape (about players x rate x turn-ms writes each).

Run as ``odyssey bench-storage ...`` or ``python -m cluster.bench.storage ...``;
``run_storage_bench`` is the API, ``StorageBench`` keeps the store open for
tests that read the written records back.
"""
from __future__ import annotations

import argparse
import json
import sys

from cluster.bench.command import positive
from cluster.bench.storage_load import StorageBenchOptions, StorageBenchResult, run_storage_bench

__all__ = ["StorageBenchOptions", "StorageBenchResult", "main", "run_storage_bench"]


def format_result(result: StorageBenchResult) -> str:
    """The human-readable report printed at the end of a run."""

    def ms(p50, p99, peak) -> str:
        if p50 is None:
            return "-"
        return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {peak:.2f} ms"

    mode = "max (turns back to back)" if result.mode == "max" else f"paced (a turn every {result.turn_ms:g} ms)"
    where = "temporary, removed" if result.temporary_data_dir else "kept"
    state = "-" if result.map_state_bytes is None else f"{result.map_state_bytes} bytes"
    load = (f"{result.players} players on {result.maps} maps, {result.rate:g} checkpoint/s each; "
            f"{result.seconds_measured:.2f} s measured")
    if result.mode == "max":
        load += f", {result.simulated_seconds:.2f} s of schedule"
    map_states_per_s = result.achieved_writes_per_s - result.player_writes_per_s
    lines = [
        f"storage bench, {mode}",
        f"  load:                {load}",
        f"  data dir:            {result.data_dir} ({where})",
        f"  record size:         {result.record_bytes} bytes (character, msgpack); map state {state}",
        f"  offered:             {result.offered_writes_per_s:.1f} writes/s",
        (f"  achieved:            {result.achieved_writes_per_s:.1f} writes/s "
         f"({result.player_writes_per_s:.1f} player records/s + {map_states_per_s:.1f} map states/s; "
         f"{result.achieved_vs_offered:.2f}x offered)"),
        (f"  writes:              {result.writes} ({result.player_writes} player records, "
         f"{result.map_state_writes} map states, {result.checkpoints} CKPT commands)"),
        (f"  transactions:        {result.transactions} ({result.transactions_per_s:.1f}/s), "
         f"{result.writes_per_txn_mean:.1f} writes each (max {result.writes_per_txn_max})"),
        (f"  commit latency:      {ms(result.commit_p50_ms, result.commit_p99_ms, result.commit_max_ms)} "
         "(the synced commit)"),
        (f"  turn latency:        {ms(result.turn_p50_ms, result.turn_p99_ms, result.turn_max_ms)} "
         "(decode + apply + commit)"),
    ]
    if result.mode == "paced":
        lines.append(f"  due -> durable:      {ms(result.delay_p50_ms, result.delay_p99_ms, result.delay_max_ms)}")
    lines.append(f"  cpu:                 {result.cpu_percent:.1f}% of one core "
                 f"(storage side {result.storage_cpu_percent:.1f}%)")
    lines.append(f"  errors:              {result.errors} (refused checkpoints {result.refused_checkpoints})")
    lines += [f"    {sample}" for sample in result.error_samples]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> StorageBenchOptions:
    """Command-line options of ``odyssey bench-storage`` as a ``StorageBenchOptions``."""
    defaults = StorageBenchOptions()
    parser = argparse.ArgumentParser(prog="odyssey bench-storage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=positive(int), default=defaults.players,
                        help="online players (default %(default)s)")
    parser.add_argument("--maps", type=positive(int), default=defaults.maps,
                        help="maps the players are spread over evenly (default %(default)s)")
    parser.add_argument("--seconds", type=positive(float), default=defaults.seconds,
                        help="measured time (default %(default)s)")
    parser.add_argument("--rate", type=positive(float), default=defaults.rate,
                        help="checkpoint writes per player per second (default %(default)s)")
    parser.add_argument("--turn-ms", type=positive(float), default=defaults.turn_ms,
                        help="how often a storage turn happens (default %(default)s)")
    parser.add_argument("--max", action="store_true",
                        help="ignore the rate: run turns back to back to find the capacity")
    parser.add_argument("--no-map-state", dest="map_state", action="store_false",
                        help="checkpoint player records only, no map runtime state")
    parser.add_argument("--data-dir", default=None,
                        help="data directory to use and keep (default: a temporary one, removed)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    return StorageBenchOptions(players=args.players, maps=args.maps, seconds=args.seconds, rate=args.rate,
                               turn_ms=args.turn_ms, max=args.max, map_state=args.map_state,
                               data_dir=args.data_dir, json=args.json)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``odyssey bench-storage``: 0 if the run had no errors, 1 otherwise."""
    import gc

    options = parse_args(argv)
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)  # as the nodes run (cluster.cli.run_node)
    try:
        result = run_storage_bench(options)
    except KeyboardInterrupt:
        return 130
    finally:
        gc.set_threshold(*thresholds)
    print(json.dumps(result.to_dict()) if options.json else format_result(result), flush=True)
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
