"""``odyssey bench``: a load generator that plays many simulated clients at once.

Every bot creates an account and a character (about ``--per-map`` bots share
a start map), enters the world, then, once all bots are in game, takes one
random step a second and chats now and then. The bench measures the moves
sent, the 115 relays received and the move→relay latency, reads the server's
CPU per node from ``/status.json`` before and after the walk, measures its
own CPU, then closes every socket and stops by itself. ``--processes N``
splits the bots (whole maps each) over N worker processes. Run as
``odyssey bench ...`` or ``python -m cluster.bench ...``.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from cluster.bench import transport
from cluster.bench.report import format_result
from cluster.bench.runner import BenchOptions, run_bench


def positive(kind: type) -> Callable[[str], int | float]:
    """An argparse type: a number of ``kind`` above zero (shared by the bench commands)."""
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def add_load_arguments(parser: argparse.ArgumentParser, defaults: BenchOptions) -> None:
    """The options ``odyssey bench`` and ``odyssey bench-suite`` share."""
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
    parser.add_argument("--processes", type=positive(int), default=defaults.processes,
                        help="bench worker processes, each with whole maps' bots (default %(default)s)")
    parser.add_argument("--client", choices=transport.BACKENDS, default=defaults.client,
                        help="websocket client (default %(default)s: the fastest installed)")


def parse_args(argv: list[str] | None = None) -> BenchOptions:
    """Command-line options of ``odyssey bench`` as a ``BenchOptions``."""
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="odyssey bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=defaults.url, help="edge websocket URL (default %(default)s)")
    parser.add_argument("--bots", type=positive(int), default=defaults.bots, help="bots (default %(default)s)")
    add_load_arguments(parser, defaults)
    parser.add_argument("--status-url", default=None,
                        help="the server's /status.json for CPU per node (default: beside --url; 'none' = skip)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    status_url = "" if args.status_url in ("none", "") else args.status_url
    return BenchOptions(
        url=args.url, bots=args.bots, per_map=args.per_map, seconds=args.seconds, connect_rate=args.connect_rate,
        chat_every=args.chat_every, ramp_timeout=args.ramp_timeout, seed=args.seed, json=args.json,
        processes=args.processes, client=args.client, status_url=status_url,
    )


def run(options: BenchOptions, progress=None):
    """One bench run in this process or, with ``processes`` > 1, in that many worker processes."""
    if options.processes > 1:
        from cluster.bench.shards import run_processes
        return run_processes(options, progress)
    return transport.run(run_bench(options, progress=progress))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``odyssey bench``: 0 if the run had no errors, 1 otherwise."""
    options = parse_args(argv)
    progress = sys.stderr if options.json else sys.stdout  # keep --json stdout parseable
    try:
        result = run(options, progress)
    except KeyboardInterrupt:
        return 130
    print(json.dumps(result.to_dict()) if options.json else format_result(result), flush=True)
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
