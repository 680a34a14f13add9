"""A real cluster on loopback for tests: processes, a temp data dir, websocket clients.

``ClusterHarness`` starts each node as its own process (``odyssey node ...``)
so a test can SIGKILL or restart any one of them. ``GameClient`` is a small
synchronous websocket client that speaks the JSON protocol.
"""
from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any, Callable

from websockets.sync.client import connect

from cluster import fabric, status
from cluster.config import load as load_config

REPO = Path(__file__).resolve().parent.parent

# Fast timings so failover tests take seconds, and cheap hashing; every
# other setting is the default of cluster.toml.
TEST_CONFIG = """
[heartbeat]
interval_ms = 250
liveness = 3

[lease]
duration_ms = 750
idle_release_ms = 30000

[broker]
recovery_window_ms = 600

[checkpoint]
interval_ms = 250

[storage]
argon2_time_cost = 1
argon2_memory_kib = 8192
argon2_parallelism = 1
logout_save_timeout_ms = 3000
"""


def merged_config(base: str, extra: str) -> str:
    """``base`` with the keys of ``extra`` set over it (both: tables of plain values)."""
    tables = tomllib.loads(base)
    for section, values in tomllib.loads(extra).items():
        tables.setdefault(section, {}).update(values)
    return "".join(f"[{section}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
                   + "\n" for section, values in tables.items())


def unverified_tls() -> ssl.SSLContext:
    """A client TLS context that accepts any certificate (the tests' are self-signed)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ClusterHarness:
    """Broker, storage, map workers and edges as separate processes."""

    def __init__(self, root: Path, workers: int = 2, edges: int = 1, extra_config: str = "",
                 curve: bool = False) -> None:
        self.root = root
        self.curve = curve
        self.data_dir = root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = root / "cluster.toml"
        self.extra_config = extra_config
        if curve:  # tcp between the nodes, with CurveZMQ keys made by `odyssey keys` in root/keys
            extra_config = merged_config(extra_config, f"[security]\nkeys_dir = \"{root / 'keys'}\"\n"
                                                       f"authorized_keys_dir = \"{root / 'keys' / 'authorized'}\"\n")
        self.config_path.write_text(merged_config(TEST_CONFIG, extra_config))
        # With [edge] tls_cert set the edges speak wss:// and https:// only.
        self.tls = bool(tomllib.loads(self.config_path.read_text()).get("edge", {}).get("tls_cert"))
        self.broker_endpoint = (f"tcp://127.0.0.1:{free_port()}" if curve
                                else fabric.ipc_endpoint(self.data_dir / "broker.ipc"))
        self.worker_names = [f"map-{i + 1}" for i in range(workers)]
        self.edge_ports = {f"edge-{i + 1}": free_port() for i in range(edges)}
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    # --- processes --------------------------------------------------------------
    def argv(self, role: str, name: str) -> list[str]:
        argv = [sys.executable, "-m", "cluster.cli", "node", role, "--name", name,
                "--config", str(self.config_path), "--data-dir", str(self.data_dir),
                "--broker", self.broker_endpoint]
        if role == "edge":
            argv += ["--port", str(self.edge_ports[name])]
        return argv

    def start_node(self, role: str, name: str) -> subprocess.Popen:
        log_path = self.root / f"{name}.log"
        self.logs[name] = log_path
        log_file = open(log_path, "ab")
        process = subprocess.Popen(self.argv(role, name), stdout=log_file, stderr=subprocess.STDOUT,
                                   cwd=REPO, start_new_session=True)
        log_file.close()
        self.processes[name] = process
        return process

    def config(self):
        """The cluster's settings, as its nodes read them (with the broker endpoint they are given)."""
        config = load_config(self.config_path)
        config.broker.endpoint = config.broker.bind = self.broker_endpoint
        return config

    def make_keys(self) -> None:
        """Key pairs for every node and an operator, made and authorized with `odyssey keys new`."""
        for name, role in [("broker", "broker"), ("storage", "storage"), ("operator", "operator"),
                           *((name, "map") for name in self.worker_names),
                           *((name, "edge") for name in self.edge_ports)]:
            if not (self.root / "keys" / f"{name}.key_secret").exists():
                result = self.cli("keys", "new", name, "--role", role)
                assert result.returncode == 0, result.stderr

    def start(self) -> "ClusterHarness":
        if self.curve:
            self.make_keys()
        # Where `odyssey status` / `odyssey admin` find this cluster's broker.
        (self.data_dir / "run.json").write_text(json.dumps({"broker": self.broker_endpoint, "url": self.url(),
                                                            "pid": 0}))
        self.start_node("broker", "broker")
        self.start_node("storage", "storage")
        for name in self.worker_names:
            self.start_node("map", name)
        for name in self.edge_ports:
            self.start_node("edge", name)
        self.wait_ready()
        return self

    def wait_ready(self, timeout_s: float = 20.0, workers: int | None = None) -> dict:
        """Wait until every node is registered and the broker's recovery is over."""
        want_workers = len(self.worker_names) if workers is None else workers
        deadline = time.monotonic() + timeout_s
        view = None
        while time.monotonic() < deadline:
            view = status.query(self.broker_endpoint, timeout_ms=300, config=self.config())
            if view is not None and not view["recovering"]:
                roles = [node["role"] for node in view["nodes"]]
                if (roles.count("map") >= want_workers and "storage" in roles
                        and roles.count("edge") >= len(self.edge_ports) and self.edges_healthy()):
                    return view
            time.sleep(0.1)
        raise AssertionError(f"cluster not ready in {timeout_s} s; last view {view}\n{self.tail_logs()}")

    def edges_healthy(self) -> bool:
        for edge in self.edge_ports:
            try:
                if not json.loads(self.http_get("/healthz", edge, timeout=1))["broker"]:
                    return False
            except OSError:
                return False
        return True

    def http_url(self, path: str, edge: str = "edge-1") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.edge_ports[edge]}{path}"

    def http_get(self, path: str, edge: str = "edge-1", timeout: float = 5) -> bytes:
        """The body of GET path on an edge (https without verification when TLS is on)."""
        context = unverified_tls() if self.tls else None
        with urllib.request.urlopen(self.http_url(path, edge), timeout=timeout, context=context) as response:
            return response.read()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        process.send_signal(sig)
        process.wait(10)

    def stop(self, name: str, timeout_s: float = 10.0) -> int:
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout_s)

    def kill_all(self, sig: int = signal.SIGKILL) -> None:
        """Signal every live node at once (a power cut), then reap them."""
        live = [process for process in self.processes.values() if process.poll() is None]
        for process in live:
            process.send_signal(sig)
        for process in live:
            process.wait(10)

    def reopen(self) -> "ClusterHarness":
        """A new, not yet started harness on this one's root and data directory
        (same node names and config; new edge ports), e.g. after ``kill_all``."""
        reopened = ClusterHarness(self.root, workers=len(self.worker_names), edges=len(self.edge_ports),
                                  extra_config=self.extra_config, curve=self.curve)
        reopened.logs = dict(self.logs)
        return reopened

    def stop_all(self) -> None:
        """Graceful, in the order ``odyssey up`` uses; SIGKILL whatever hangs."""
        for role_prefix in ("edge", "map", "storage", "broker"):
            for name, process in self.processes.items():
                if name.startswith(role_prefix) and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for name, process in self.processes.items():
                if name.startswith(role_prefix):
                    try:
                        process.wait(10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run an ``odyssey`` command against this cluster's data directory."""
        return subprocess.run([sys.executable, "-m", "cluster.cli", *args, "--config", str(self.config_path),
                               "--data-dir", str(self.data_dir)], cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)

    def status(self) -> dict:
        view = status.query(self.broker_endpoint, timeout_ms=2000, config=self.config())
        assert view is not None, "the broker did not answer a status query"
        return view

    def url(self, edge: str = "edge-1") -> str:
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.edge_ports[edge]}/"

    def client(self, edge: str = "edge-1") -> "GameClient":
        return GameClient(self.url(edge), unverified_tls() if self.tls else None)

    def tail_logs(self, lines: int = 30) -> str:
        out = []
        for name, path in self.logs.items():
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    def owner_of(self, map_id: int) -> tuple[str, int] | None:
        for lease in self.status()["leases"]:
            if lease["map_id"] == map_id:
                return lease["worker"], lease["epoch"]
        return None


class GameClient:
    """A websocket player speaking PROTOCOL.md; every received packet is kept in ``seen``."""

    def __init__(self, url: str, tls: ssl.SSLContext | None = None, sock: socket.socket | None = None) -> None:
        options: dict[str, Any] = {"ssl": tls} if tls is not None else {}
        if sock is not None:  # already connected (e.g. from inside another network namespace)
            options["sock"] = sock
        self._connection = connect(url, open_timeout=5, max_size=2**22, **options)
        self.ws = self._connection.__enter__()
        self.seen: list[dict] = []
        self.pid: int | None = None

    def send(self, packet: dict[str, Any]) -> None:
        self.ws.send(json.dumps(packet))

    def send_raw(self, data: str | bytes) -> None:
        self.ws.send(data)

    def recv(self, timeout: float = 5.0) -> dict:
        packet = json.loads(self.ws.recv(timeout=timeout))
        self.seen.append(packet)
        return packet

    def recv_until(self, match: Callable[[dict], bool], timeout: float = 5.0) -> list[dict]:
        """Packets up to and including the first that matches; fails after timeout."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching packet in {timeout} s; got types {[p['type'] for p in got]}")
            try:
                packet = self.recv(left)
            except TimeoutError:
                continue
            got.append(packet)
            if match(packet):
                return got

    def drain(self, quiet: float = 0.3) -> list[dict]:
        """Everything that arrives until the socket is quiet for ``quiet`` seconds."""
        got = []
        while True:
            try:
                got.append(self.recv(quiet))
            except TimeoutError:
                return got

    def is_closed(self, timeout: float = 3.0) -> bool:
        """True if the server closes the connection within timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return False
            except Exception:  # ConnectionClosed and friends
                return True
        return False

    def close(self) -> None:
        self.ws.close()

    # --- protocol steps ------------------------------------------------------------
    def create_account(self, email: str, password: str = "secret-pw") -> list[dict]:
        self.send({"type": 0, "email": email, "password": password, "version": "Build 1982 Beta"})
        return self.recv_until(lambda p: p["type"] == 100 and p["win"] in ("winSelectPlayer", "winLogin"))

    def login(self, email: str, password: str = "secret-pw") -> list[dict]:
        self.send({"type": 1, "email": email, "password": password})
        return self.recv_until(lambda p: p["type"] == 100 and p["win"] in ("winSelectPlayer", "winLogin"))

    def create_character(self, name: str, profession_id: int = 0, gender: int = 0) -> list[dict]:
        """Create a character and wait for the whole enter-world and map-join sequence."""
        self.send({"type": 3, "name": name, "profession_id": profession_id, "gender": gender})
        return self.enter_world()

    def enter(self, slot_id: int) -> list[dict]:
        self.send({"type": 4, "slot_id": slot_id})
        return self.enter_world()

    def enter_world(self) -> list[dict]:
        got = self.recv_until(lambda p: p["type"] == 109)
        self.pid = got[-1]["player_id"]
        got += self.recv_until(lambda p: p["type"] == 115 and p["player_id"] == self.pid)
        return got

    def play(self, email: str, name: str, profession_id: int = 0) -> list[dict]:
        self.create_account(email)
        return self.create_character(name, profession_id)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
