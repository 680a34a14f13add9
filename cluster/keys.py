"""CurveZMQ key pairs of the broker, the nodes and the operators, and ``odyssey keys``.

Files are ZeroMQ certificates (ZPL, as pyzmq's ``zmq.auth`` reads them) with our own metadata: ``role`` (broker, edge, map, storage or
operator) and ``name``. For a key named N in ``security.keys_dir``:

    N.key_secret   the key pair (0600): the node or operator that is N uses it
    N.key          the public key alone, with the same role and name

The broker admits a client only if its public key is in
``security.authorized_keys_dir``, whose files also say the role and name that
key may act as: a key made for ``edge-1`` can only register as the edge named
``edge-1``. ``odyssey keys new`` authorizes what it makes (when the broker's
directory is on this host); ``odyssey keys revoke`` removes a key, and the
broker refuses its connections and, within a second, its frames.
"""
from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import zmq
from zmq.auth import load_certificate

ROLES = ("broker", "edge", "map", "storage", "operator")
KEY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_META = re.compile(r'^\s+(role|name)\s*=\s*"?([^"\s]*)"?\s*$')


class KeyError_(ValueError):
    """A key file is missing, unreadable, unsafe or malformed; the message says which and why."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A public key and what it may act as."""
    name: str
    role: str
    public: bytes  # z85
    path: Path

    @property
    def fingerprint(self) -> str:
        return self.public.decode()[:12]


def _write(path: Path, public: bytes, secret: bytes | None, role: str, name: str) -> None:
    lines = ["#   ZeroMQ CURVE certificate, made by `odyssey keys new`",
             f"#   {'secret: keep this file to its owner' if secret else 'public: may be shared'}",
             f"#   created {time.strftime('%Y-%m-%d %H:%M:%S')}", "", "metadata",
             f'    role = "{role}"', f'    name = "{name}"', "curve", f'    public-key = "{public.decode()}"']
    if secret is not None:
        lines.append(f'    secret-key = "{secret.decode()}"')
    staging = path.with_name(path.name + ".tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(staging, path)


def new_key(keys_dir: Path, name: str, role: str) -> tuple[Path, Path]:
    """Make a key pair N.key_secret and N.key in ``keys_dir`` (0700); refuses to overwrite one."""
    if not KEY_NAME.fullmatch(name):
        raise KeyError_(f"a key name is 1 to 64 letters, digits, '_', '.' or '-', got {name!r}")
    if role not in ROLES:
        raise KeyError_(f"a key's role is one of {', '.join(ROLES)}, got {role!r}")
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret_path, public_path = keys_dir / f"{name}.key_secret", keys_dir / f"{name}.key"
    if secret_path.exists():
        raise KeyError_(f"{secret_path} exists already; revoke and delete it first to make a new one")
    public, secret = zmq.curve_keypair()
    _write(secret_path, public, secret, role, name)
    _write(public_path, public, None, role, name)
    return secret_path, public_path


def read_info(path: Path) -> KeyInfo:
    """The public key, role and name of a key file (public or secret)."""
    try:
        public, _ = load_certificate(path)
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise KeyError_(f"cannot read the key file {path}: {error}") from None
    meta = dict(match.groups() for line in text.splitlines() if (match := _META.match(line)))
    if meta.get("role") not in ROLES or not KEY_NAME.fullmatch(meta.get("name", "")):
        raise KeyError_(f"the key file {path} names no role and name (make keys with `odyssey keys new`)")
    return KeyInfo(meta["name"], meta["role"], public, path)


def load_secret(path: Path) -> tuple[bytes, bytes, KeyInfo]:
    """(public, secret, info) of a secret key file, refused if anyone but its owner may read it."""
    if not path.is_file():
        raise KeyError_(f"no key file at {path} (make one with `odyssey keys new NAME --role ROLE`)")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyError_(f"the key file {path} may be read by others (mode {stat.S_IMODE(mode):o}); "
                        f"run `chmod 600 {path}`")
    info = read_info(path)
    try:
        public, secret = load_certificate(path)
    except (OSError, ValueError) as error:
        raise KeyError_(f"cannot read the key file {path}: {error}") from None
    if secret is None:
        raise KeyError_(f"{path} holds no secret key (that is a public key file)")
    return public, secret, info


def load_public(path: Path) -> bytes:
    if not path.is_file():
        raise KeyError_(f"no key file at {path}: copy the broker's public key (broker.key) here")
    return read_info(path).public


class AuthorizedKeys:
    """The authorized-keys directory, read again whenever it changes (so a revoke takes effect)."""

    def __init__(self, directory: Path, recheck_s: float = 1.0) -> None:
        self.directory = directory
        self.recheck_s = recheck_s
        self.checked_at = -recheck_s
        self.seen: tuple | None = None
        self.by_key: dict[bytes, KeyInfo] = {}

    def lookup(self, public_z85: bytes) -> KeyInfo | None:
        self._refresh()
        return self.by_key.get(public_z85)

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self.checked_at < self.recheck_s:
            return
        self.checked_at = now
        try:
            files = sorted(self.directory.glob("*.key"))
            state = tuple((path.name, path.stat().st_mtime_ns) for path in files)
        except OSError:
            files, state = [], ()
        if state == self.seen:
            return
        self.seen = state
        by_key = {}
        for path in files:
            try:
                info = read_info(path)
            except KeyError_ as error:
                print(f"odyssey: ignoring {error}", file=sys.stderr)
                continue
            by_key[info.public] = info
        self.by_key = by_key


# --- `odyssey keys` -----------------------------------------------------------------------------

def add_parser(commands, common) -> None:
    keys = commands.add_parser("keys", help="CurveZMQ keys of the broker, nodes and operators")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    new = actions.add_parser("new", help="make a key pair (and authorize it, if the broker's directory is here)")
    new.add_argument("name")
    new.add_argument("--role", choices=ROLES, help="what the key may act as (default: broker for 'broker')")
    listing = actions.add_parser("list", help="the authorized keys: name, role, fingerprint")
    revoke = actions.add_parser("revoke", help="take a key out of the authorized keys")
    revoke.add_argument("name")
    for parser in (new, listing, revoke):
        common(parser)


def run(config, args: argparse.Namespace) -> int:
    keys_dir, authorized = config.path(config.security.keys_dir), config.path(config.security.authorized_keys_dir)
    try:
        if args.keys_command == "new":
            role = args.role or ("broker" if args.name == "broker" else None)
            if role is None:
                raise KeyError_("say what the key is for: --role edge, map, storage or operator")
            secret, public = new_key(keys_dir, args.name, role)
            print(f"made {secret} (secret, 0600: keep it on the host of {args.name}) and {public}")
            if role != "broker":
                authorized.mkdir(mode=0o700, parents=True, exist_ok=True)
                info = read_info(public)
                _write(authorized / f"{args.name}.key", info.public, None, role, args.name)
                print(f"authorized {args.name} as {role} in {authorized}")
            return 0
        if args.keys_command == "list":
            infos = [read_info(path) for path in sorted(authorized.glob("*.key"))]
            print(f"{'name':24} {'role':9} fingerprint")
            for info in infos:
                print(f"{info.name:24} {info.role:9} {info.fingerprint}")
            return 0
        target = authorized / f"{args.name}.key"
        if not target.is_file():
            raise KeyError_(f"{args.name} is not an authorized key ({target} does not exist)")
        target.unlink()
        print(f"revoked {args.name}: the broker refuses it within a second")
        return 0
    except KeyError_ as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 2
