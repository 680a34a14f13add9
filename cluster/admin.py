"""``odyssey admin``, ``backup``, ``restore`` and ``world export|import``: the operator's side.

Admin requests go to a running cluster through the broker (like ``status``)
and are answered by storage once committed. Backup, restore and export work
on the data directory itself, on the storage host.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import uuid
from pathlib import Path

from cluster import fabric, moderation, status, wire
from cluster.config import Config
from cluster.keys import KeyError_
from cluster.lockfile import held
from storage import backup as tools

TIMEOUT_MS = 15_000


def request(endpoint: str, action: str, args: dict, timeout_ms: int = TIMEOUT_MS,
            config: Config | None = None) -> tuple[bool, str, object]:
    """One admin request and its answer (over tcp with the operator key of ``config``);
    raises TimeoutError if the cluster does not answer."""
    dealer = fabric.client_dealer(config, endpoint, "admin")
    request_id = uuid.uuid4().hex[:8]
    try:
        dealer.send(wire.pack([[wire.ADMIN, request_id, action, args]]))
        while dealer.poll(timeout_ms):
            for command in wire.unpack(dealer.recv()):
                if wire.command(command) and command[0] == wire.ADMIN_REPLY and command[1:2] == [request_id]:
                    return command[2], command[3], command[4]
        raise TimeoutError(f"no answer from the cluster at {endpoint} in {timeout_ms / 1000:.0f} s")
    finally:
        dealer.close(0)


def add_parsers(commands, common) -> None:
    """The operator sub-commands of ``odyssey``."""
    admin = commands.add_parser("admin", help="change a running cluster (through the broker)")
    actions = admin.add_subparsers(dest="admin_command", required=True)
    set_access = actions.add_parser("set-access", help="set a character's access level")
    set_access.add_argument("name")
    set_access.add_argument("level", type=int)
    motd = actions.add_parser("motd", help="set the message of the day (\"\" clears it)")
    motd.add_argument("text")
    accounts = actions.add_parser("accounts", help="list accounts, characters, levels, last login")
    accounts.add_argument("--json", action="store_true")
    reset = actions.add_parser("reset-password", help="give an account a new random password")
    reset.add_argument("email")
    for parser in (set_access, motd, accounts, reset, *moderation_parsers(actions)):
        common(parser)
    save = commands.add_parser("backup", help="a consistent copy of the data, while the cluster runs")
    save.add_argument("file")
    common(save)
    load = commands.add_parser("restore", help="restore a backup into a stopped data directory")
    load.add_argument("file")
    common(load)


def moderation_parsers(actions) -> list:
    """kick, ban, unban, mute, unmute, announce and bans (cluster.moderation; storage.sanctions)."""
    kick = actions.add_parser("kick", help="disconnect a character's player now")
    ban = actions.add_parser("ban", help="ban a character's account (DURATION like 30m, 2h, 7d; none: permanent)")
    mute = actions.add_parser("mute", help="mute a character's account (DURATION like 30m; none: until unmute)")
    lifted = [actions.add_parser(name, help=f"lift a {kind}") for name, kind in (("unban", "ban"), ("unmute", "mute"))]
    for parser in (kick, ban, mute, *lifted):
        parser.add_argument("name", help="the character's name (quote it if it has spaces)")
    kick.add_argument("words", nargs="*", metavar="REASON")
    ban.add_argument("words", nargs="*", metavar="WORD", help="[DURATION] [REASON ...]")
    mute.add_argument("words", nargs="*", metavar="DURATION")
    announce = actions.add_parser("announce", help="a line to everyone online")
    announce.add_argument("text", nargs="+")
    bans = actions.add_parser("bans", help="list the bans and mutes in force")
    bans.add_argument("--json", action="store_true")
    return [kick, ban, mute, *lifted, announce, bans]


def moderation_request(args: argparse.Namespace) -> dict:
    """The ADMIN arguments of a moderation verb; SystemExit with a usage line for a bad duration."""
    try:
        by = getpass.getuser()[:wire.NAME_BYTES]  # who did it, for storage's log
    except (OSError, KeyError):
        by = "unknown"
    if args.admin_command == "announce":
        return {"text": " ".join(args.text), "by": by}
    if args.admin_command == "bans":
        return {}
    words = list(getattr(args, "words", []))
    duration = None
    if args.admin_command in moderation.TIMED and words and moderation.parse_duration(words[0]) is not None:
        duration = moderation.parse_duration(words.pop(0))
    if args.admin_command == "mute" and words:
        raise SystemExit(f"odyssey: {' '.join(words)!r} is not a duration (like 30m, 2h, 7d)")
    return {"name": args.name, "duration_ms": duration, "reason": " ".join(words), "by": by}


def run_admin(config: Config, args: argparse.Namespace) -> int:
    if args.admin_command in moderation.ACTIONS or args.admin_command == "bans":
        return answer(config, args.admin_command, moderation_request(args), as_json=getattr(args, "json", False))
    action, payload = {
        "set-access": ("set_access", lambda: {"name": args.name, "level": args.level}),
        "motd": ("motd", lambda: {"text": args.text}),
        "accounts": ("accounts", lambda: {}),
        "reset-password": ("reset_password", lambda: {"email": args.email}),
    }[args.admin_command]
    return answer(config, action, payload(), as_json=getattr(args, "json", False))


def answer(config: Config, action: str, payload: dict, as_json: bool = False) -> int:
    endpoint = status.broker_endpoint(config)
    print(f"asking the cluster at {endpoint} ...", file=sys.stderr)
    try:
        ok, message, data = request(endpoint, action, payload, config=config)
    except (TimeoutError, KeyError_) as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 1
    if not ok:
        print(f"odyssey: {message}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(data))
        return 0
    print(message)
    if action == "accounts":
        for row in data:
            names = ", ".join(f"{c['name']} (lv {c['level']}, access {c['access']})" for c in row["characters"])
            print(f"  {row['email']:32} last login {row['last_login'] or 'never':24} "
                  f"{'online ' if row['online'] else ''}{names or '-'}")
    elif action == "reset_password":
        print(f"new password: {data['password']}")
    elif action == "bans":
        for row in data:
            reason = f": {row['reason']}" if row["reason"] else ""
            print(f"  {row['kind']:4} {row['name']:20} {row['ends']} by {row['by']}{reason}")
    return 0


def run_backup(config: Config, target: str) -> int:
    target_path = Path(target).resolve()
    print(f"copying {tools.lmdb_dir(config.data_dir)} to {target_path} ...", file=sys.stderr)
    try:
        size = tools.backup(config.data_dir, target_path)
    except tools.BackupError as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 1
    print(f"backup written: {target_path} ({size / 1e6:.1f} MB)")
    return 0


def cluster_running(config: Config) -> bool:
    """Storage (or a launcher) holds the data directory's lock: the cluster is up."""
    return any(held(config.data_dir / name) is not None for name in ("storage.lock", "odyssey.lock"))


def run_restore(config: Config, source: str) -> int:
    if cluster_running(config):
        print(f"odyssey: a cluster is running on {config.data_dir}; stop it first", file=sys.stderr)
        return 1
    try:
        kept = tools.restore(Path(source).resolve(), config.data_dir)
    except tools.BackupError as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 1
    print(f"restored {source} into {tools.lmdb_dir(config.data_dir)}")
    if kept:
        print(f"the data it replaced is kept in {kept}")
    return 0


def run_world(config: Config, args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    try:
        if args.world_command == "export":
            count = tools.export_world(config.data_dir, directory)
            print(f"exported {count} maps, the resource lists and the scripts to {directory}")
            return 0
        print(f"checking the world in {directory} (each script is proven in a disposable process)")
        maps, resources, scripts = tools.load_world_dir(directory, config.scripting)
    except tools.BackupError as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 1
    if cluster_running(config):
        request = {"maps": maps, "resources": resources}
        if scripts is not None:
            request["scripts"] = scripts
        return answer(config, "world_import", request)
    count = tools.import_world_offline(config.data_dir, maps, resources, scripts)
    print(f"imported {count} maps into {config.data_dir} (the cluster is stopped)")
    return 0
