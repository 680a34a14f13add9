"""Hostile ZeroMQ frames for the fuzz tests, and a fake broker to aim them at one node.

``Fuzzer`` makes frames from a seeded ``random.Random``: random bytes, msgpack values that are
not a batch, and batches of commands whose tokens are every token of ``cluster.wire`` (and some
that are not) with arguments that are junk (wrong arity, wrong types, huge integers, NaN, deep
nesting, big blobs) or, half of the time, guided by the receiving role's own schema: each
argument is drawn until it fits its kind, then one may be spoiled. Guided commands pass the
schema, so they reach the handlers with values that are well-typed and meaningless.

``FakeBroker`` is a raw ROUTER on an ipc path that a real storage or map worker process
(``odyssey node ...``) registers with; the test then sends it whatever it likes, as the broker.
"""
from __future__ import annotations

import math
import random
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import zmq

from cluster import wire
from harness import REPO, TEST_CONFIG

TOKENS = sorted({value for name, value in vars(wire).items()
                 if name.isupper() and isinstance(value, str) and value.isupper() and len(value) > 1
                 and not name.startswith("ROLE_")})
NOT_TOKENS = ["", "hello", "HELLO ", "\x00", "X" * 300, "ÄDMIN", "__class__", "handlers"]
HUGE = [2**63, 2**63 - 1, -2**63, 2**64 - 1, -2**63 + 1, 2**31, -1]
NAMES = ["broker", "storage", "map-1", "map-2", "edge-1", "edge-2", "fuzz-edge", "operator", "", "x" * 70]


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


class Fuzzer:
    """A reproducible stream of hostile frames (see the module docstring)."""

    def __init__(self, seed: int, schema: wire.Schema | None = None, pids: tuple[int, ...] = (),
                 map_ids: tuple[int, ...] = (0, 1, 2)) -> None:
        self.random = random.Random(seed)
        self.schema = schema
        self.pids = list(pids) or [1]
        self.map_ids = list(map_ids)

    # --- values -------------------------------------------------------------------------------
    def junk(self, depth: int = 0):
        r = self.random
        pick = r.randrange(16)
        if pick == 0:
            return r.choice(HUGE)
        if pick == 1:
            return r.choice([math.nan, math.inf, -math.inf, -0.0, 1e308])
        if pick == 2:
            return nested(r.choice([3, 40, 200]))
        if pick == 3:
            return r.randbytes(r.choice([0, 1, 16, 300, 70_000]))
        if pick == 4:
            return None
        if pick == 5:
            return r.choice([True, False])
        if pick == 6:
            return "".join(chr(r.choice([0, 0x41, 0xE9, 0x4E2D, 0xFFFF, 0x1F600])) for _ in range(r.randrange(20)))
        if pick == 7:
            return "z" * r.choice([65, 256, 70_000])
        if pick == 8 and depth < 3:
            return [self.junk(depth + 1) for _ in range(r.randrange(6))]
        if pick == 9 and depth < 3:
            return {self.key(): self.junk(depth + 1) for _ in range(r.randrange(6))}
        if pick == 10:
            return r.choice(NAMES)
        if pick == 11:
            return r.choice(TOKENS)
        if pick == 12:
            return r.uniform(-1e9, 1e9)
        return self.plausible()

    def key(self):
        return self.random.choice(["name", "pos", "x", "maps", "sessions", 0, -1, b"k", None, 1.5, "type"])

    def plausible(self):
        """A value of some kind a command may take: small numbers, ids, names, rows, payloads."""
        r = self.random
        pick = r.randrange(14)
        if pick == 0:
            return r.choice(self.pids)
        if pick == 1:
            return r.choice(self.map_ids)
        if pick == 2:
            return r.randrange(-3, 40)
        if pick == 3:
            return r.choice(NAMES[:8])
        if pick == 4:
            return r.choice([b'{"type": 5, "text": "fuzz"}', b'{"type": 6, "x": 1e999}', b"{}", b"[", b"\xff\xfe",
                             b'{"type": 1, "email": 5}', b'{"type": 3, "name": null}', b"null", r.randbytes(12)])
        if pick == 5:
            return {}
        if pick == 6:
            return {"name": r.choice(NAMES), "pos": {"x": -1, "map_id": r.choice(self.map_ids)}, "level": "x"}
        if pick == 7:
            return []
        if pick == 8:
            return [r.randrange(0, 5), r.randrange(0, 4)]
        if pick == 9:
            return [r.choice(self.pids), r.choice(self.pids)]
        if pick == 10:
            return [[r.choice(self.pids), [r.randrange(0, 5), r.randrange(0, 4)], {}]]
        if pick == 11:
            return [[r.choice(self.map_ids), r.randrange(0, 2**40)]]
        if pick == 12:
            return r.choice([True, False, None])
        return [r.choice(TOKENS), r.choice(self.map_ids), r.randrange(0, 9)]

    # --- commands -----------------------------------------------------------------------------
    def command(self) -> list:
        r = self.random
        spec = None
        if self.schema is not None and r.random() < 0.5:
            token = r.choice(sorted(self.schema.commands))
            spec = self.schema.commands[token]
        else:
            token = r.choice(TOKENS) if r.random() < 0.9 else r.choice(NOT_TOKENS)
        if spec is None:
            return [token, *(self.junk() for _ in range(r.randrange(9)))]
        args = [self.fitting(kind) for kind in spec.kinds]
        roll = r.random()
        if roll < 0.15 and args:
            args.pop()
        elif roll < 0.3:
            args.append(self.junk())
        elif roll < 0.45 and args:
            args[r.randrange(len(args))] = self.junk()
        return [token, *args]

    def fitting(self, kind):
        """A value that fits ``kind``, if one turns up in a few draws (else junk that does not)."""
        for _ in range(12):
            value = self.plausible() if self.random.random() < 0.8 else self.junk()
            if kind(value):
                return value
        return self.junk()

    def batch(self) -> list:
        return [self.command() for _ in range(self.random.randrange(1, 8))]

    def frame(self) -> bytes:
        """One hostile frame."""
        r = self.random
        roll = r.random()
        if roll < 0.08:
            return r.randbytes(r.randrange(0, 200))
        if roll < 0.12:
            return msgpack.packb(self.junk())
        batch = self.batch()
        if roll < 0.16:
            batch = batch[0]  # a command where a batch belongs
        try:
            frame = msgpack.packb(batch, use_bin_type=True)
        except (OverflowError, ValueError, TypeError):
            return r.randbytes(40)
        if roll > 0.97:  # cut short or with trailing junk
            return frame[: r.randrange(len(frame) + 1)] if r.random() < 0.5 else frame + r.randbytes(8)
        return frame

    def message(self) -> list[bytes]:
        """A message of one frame, now and then of none or several (multipart)."""
        roll = self.random.random()
        if roll < 0.02:
            return [b""]
        if roll < 0.05:
            return [self.frame() for _ in range(self.random.randrange(2, 5))]
        return [self.frame()]


def send_all(socket: zmq.Socket, messages, prefix: list[bytes] = (), drain: zmq.Socket | None = None) -> int:
    """Send every message (with ``prefix`` frames first, e.g. a ROUTER's peer identity); returns the count.
    Replies are read and thrown away as they come, so no queue fills."""
    sent = 0
    for message in messages:
        while True:
            try:
                socket.send_multipart([*prefix, *message], zmq.NOBLOCK)
                break
            except zmq.Again:
                flush(drain or socket)
                time.sleep(0.001)
        sent += 1
        if sent % 256 == 0:
            flush(drain or socket)
    return sent


def flush(socket: zmq.Socket) -> int:
    count = 0
    while True:
        try:
            socket.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return count
        count += 1


def log_lines(path: Path) -> int:
    return len(path.read_text(errors="replace").splitlines())


class FakeBroker:
    """A ROUTER that one real node registers with; the test speaks for the broker."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.endpoint = f"ipc://{root / 'fake-broker.ipc'}"
        self.router = zmq.Context.instance().socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.setsockopt(zmq.SNDHWM, 200_000)
        self.router.setsockopt(zmq.RCVHWM, 200_000)
        self.router.bind(self.endpoint)
        self.config_path = root / "cluster.toml"
        self.config_path.write_text(TEST_CONFIG)
        self.processes: list[subprocess.Popen] = []
        self.identities: dict[str, bytes] = {}  # node name → its identity, from its HELLO
        self.hellos: dict[str, list] = {}

    def start_node(self, role: str, name: str) -> subprocess.Popen:
        """A real node of that role, registering with this fake broker."""
        return self.start_node_at(role, name, self.endpoint)

    def start_node_at(self, role: str, name: str, endpoint: str) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "cluster.cli", "node", role, "--name", name,
                                    "--config", str(self.config_path), "--data-dir", str(self.root / "data"),
                                    "--broker", endpoint],
                                   cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def log_path(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def wait_hello(self, name: str, timeout_s: float = 20.0) -> bytes:
        """The node's identity once its HELLO arrived, answered as the broker does: a heartbeat, and
        for a map worker the maps it holds (none), which it waits for before it serves any."""
        deadline = time.monotonic() + timeout_s
        while name not in self.identities and time.monotonic() < deadline:
            self.receive(100)
        assert name in self.identities, f"{name} never said HELLO\n{self.log_path(name).read_text()[-3000:]}"
        answer = [[wire.HB]]
        if self.hellos[name][1] == wire.ROLE_MAP:
            answer.append([wire.LEASES, []])
        self.send(name, answer)
        return self.identities[name]

    def receive(self, timeout_ms: int) -> list[tuple[bytes, list]]:
        """What arrived within ``timeout_ms``: (identity, commands), HELLOs noted, lifelines ignored."""
        got = []
        if not self.router.poll(timeout_ms):
            return got
        while True:
            try:
                identity, frame = self.router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return got
            if identity.endswith(b"!life"):
                continue
            commands = wire.unpack(frame)
            for command in commands:
                if command[0] == wire.HELLO:
                    self.identities[command[2]] = identity
                    self.hellos[command[2]] = command
            got.append((identity, commands))

    def send(self, name: str, commands: list) -> None:
        self.router.send_multipart([self.identities[name], wire.pack(commands)])

    def expect(self, match, timeout_s: float = 10.0) -> list:
        """The first command from any node that matches; fails after the timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for _identity, commands in self.receive(100):
                for command in commands:
                    if match(command):
                        return command
        raise AssertionError("the node never sent the expected command")

    def heartbeat(self, name: str) -> None:
        self.send(name, [[wire.HB]])

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.router.close(0)
