"""The ``odyssey`` command: up, node, status, bench, world."""
from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from cluster import admin, keys
from cluster import config as config_module
from cluster.config import ConfigError

DEFAULT_CONFIG = "cluster.toml"
CONFIG_ERROR_EXIT = 2  # a node that cannot start as configured: the supervisor does not restart it


def load_config(args: argparse.Namespace) -> config_module.Config:
    """The config file (or ./cluster.toml, or defaults) with command-line overrides."""
    path = args.config
    if path is None and Path(DEFAULT_CONFIG).is_file():
        path = DEFAULT_CONFIG
    config = config_module.load(path)
    if getattr(args, "data_dir", None):
        config.cluster.data_dir = str(Path(args.data_dir).resolve())
    if getattr(args, "port", None) is not None:
        config.edge.port = args.port
    if getattr(args, "broker", None):
        config.broker.endpoint = args.broker
        config.broker.bind = args.broker
    if getattr(args, "world", None):
        config.world.start_dir = str(Path(args.world).resolve())
    return config


NODE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def node_name(text: str) -> str:
    """An argparse type: a node's name (its ZeroMQ identity; "!" is kept for lifeline sockets)."""
    if not NODE_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"a node name is 1 to 64 letters, digits, '_', '.' or '-', got {text!r}")
    return text


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="cluster.toml to use (default: ./cluster.toml if present)")
    parser.add_argument("--data-dir", help="data directory (overrides cluster.data_dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odyssey", description="Odyssey Classic cluster server")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run every role on this box, supervised")
    _common(up)
    up.add_argument("--port", type=int, help="websocket port (overrides edge.port)")
    up.add_argument("--workers", type=int, default=2, help="number of map workers (default 2)")
    up.add_argument("--world", help="world directory to load into a fresh data directory")

    node = commands.add_parser("node", help="run one node of a cluster")
    node.add_argument("role", choices=config_module.ROLES)
    node.add_argument("--name", required=True, type=node_name)
    _common(node)
    node.add_argument("--port", type=int, help="websocket port (edges)")
    node.add_argument("--broker", help="broker endpoint (overrides broker.endpoint and broker.bind)")
    node.add_argument("--world", help="world directory to load into a fresh data directory (storage)")

    status = commands.add_parser("status", help="show nodes, leases and sessions")
    _common(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")

    commands.add_parser("bench", help="websocket load test (see odyssey bench --help)", add_help=False)
    commands.add_parser("bench-storage", help="storage checkpoint benchmark (see --help)", add_help=False)
    commands.add_parser("bench-suite", help="start a bench cluster, run 1,000-3,000 bots, one table (see --help)",
                        add_help=False)
    world = commands.add_parser("world", help="world files")
    world_commands = world.add_subparsers(dest="world_command", required=True)
    world_commands.add_parser("generate", help="generate a bench world (see --help)", add_help=False)
    export = world_commands.add_parser("export", help="write the data directory's world as world files")
    load = world_commands.add_parser("import", help="replace the world (through storage if running)")
    for world_parser in (export, load):
        world_parser.add_argument("dir")
        _common(world_parser)
    admin.add_parsers(commands, _common)
    keys.add_parser(commands, _common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from cluster.bench import command
        return command.main(argv[1:])
    if argv[:1] == ["bench-suite"]:
        from cluster.bench import suite
        return suite.main(argv[1:])
    if argv[:2] == ["world", "generate"]:
        from cluster.bench import worldgen
        return worldgen.main(argv[2:])
    if argv[:1] == ["bench-storage"]:
        from cluster.bench import storage as storage_bench
        return storage_bench.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args)
    except ConfigError as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 2
    if args.command == "up":
        from cluster import supervisor
        return supervisor.up(config, args.workers, args)
    if args.command == "node":
        return run_node(config, args.role, args.name, args.port)
    if args.command == "status":
        from cluster import status
        return status.main(config, args.json)
    if args.command == "admin":
        return admin.run_admin(config, args)
    if args.command == "backup":
        return admin.run_backup(config, args.file)
    if args.command == "restore":
        return admin.run_restore(config, args.file)
    if args.command == "world":
        return admin.run_world(config, args)
    if args.command == "keys":
        return keys.run(config, args)
    return 2


def run_node(config: config_module.Config, role: str, name: str, port: int | None) -> int:
    import gc

    from cluster import fabric, logs
    logs.setup(name)
    try:
        fabric.check_security(config, role, name)
    except fabric.SecurityError as error:
        logging.getLogger("odyssey").error("%s", error)
        return CONFIG_ERROR_EXIT
    # Nodes keep many long-lived records; fewer full collections mean fewer
    # pauses on the hot path (measured with odyssey bench).
    gc.set_threshold(50_000, 20, 100)
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if role == "broker":
        from broker.serve import run
        run(config, name)
    elif role == "edge":
        from edge.node import run
        run(config, name, port)
    elif role == "storage":
        from storage.node import run
        run(config, name)
    else:  # a map worker, with a guardian that reports what crashed it (workers.guardian)
        from workers.guardian import run
        run(config, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
