"""``odyssey up``: every role on this box, each in its own process, supervised.

Children are started as ``python -m cluster.cli node ROLE --name NAME ...``.
Whatever ends the launcher, its children end with it: each child asks the
kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), and its own
stop is bounded by its lifeline. One launcher per data directory: ``odyssey
up`` holds ``odyssey.lock`` in it, so a second one exits at once naming the
first; sockets and ``run.json`` left by a killed cluster are stale once the
lock is ours, and are removed.

A child that dies unexpectedly is logged and restarted with a growing
back-off; so is one whose heartbeats stopped while its process lives
(stopped, or wedged in a C call) — it is killed first. Ctrl-C, SIGTERM or
SIGHUP stop them in an order that loses nothing: edges first (players are
saved as they leave), then map workers (checkpoint and release), then
storage (commit and close), then the broker.
"""
from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cluster import fabric, status
from cluster.config import Config
from cluster.lifeline import WATCHDOG_EXIT
from cluster.lockfile import DataDirInUse, DataDirLock, held, in_use_message

log = logging.getLogger("odyssey")

MAX_BACKOFF_S = 30.0
CONFIG_ERROR_EXIT = 2  # a node that exits with this cannot start as configured: no restart
STABLE_AFTER_S = 60.0
STATUS_EVERY_S = 1.0  # how often the launcher reads the broker's view of its children
PR_SET_PDEATHSIG = 1
STALE_FILES = ("run.json", "*.ipc")


def die_with_parent(launcher_pid: int) -> None:
    """In the child, before exec: SIGTERM when the launcher dies, however it dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the launcher's own signal handling still stops the children
    if os.getppid() != launcher_pid:  # the launcher died before prctl took effect
        os._exit(1)


@dataclass
class Child:
    """One supervised node process."""
    role: str
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff_s: float = 0.5
    restart_at: float | None = None
    restarts: int = field(default=0)
    heard_at: float | None = None  # when the broker last had fresh heartbeats of it

    def start(self) -> None:
        launcher = os.getpid()
        self.process = subprocess.Popen(self.argv, start_new_session=True,
                                        preexec_fn=lambda: die_with_parent(launcher))
        self.started_at = time.monotonic()
        self.restart_at = None
        self.heard_at = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", self.name, timeout_s)
            self.process.kill()
            self.process.wait()


def broker_endpoint_for(config: Config) -> str:
    """The broker's endpoint: ipc in the data directory, through a short private link if its path is too long."""
    endpoint = config.broker_endpoint
    if endpoint.startswith("ipc://"):
        return fabric.ipc_endpoint(Path(endpoint[len("ipc://"):]))
    return endpoint


def node_argv(role: str, name: str, config: Config, args: argparse.Namespace, endpoint: str) -> list[str]:
    argv = [sys.executable, "-m", "cluster.cli", "node", role, "--name", name,
            "--data-dir", str(config.data_dir), "--broker", endpoint]
    if args.config:
        argv += ["--config", args.config]
    if role == "edge":
        argv += ["--port", str(config.edge.port)]
    if role == "storage" and config.world.start_dir:
        argv += ["--world", config.world.start_dir]
    return argv


def wait_until_ready(url: str, endpoint: str, children: list[Child], timeout_s: float = 30.0) -> bool:
    """True once the edge answers and the broker has storage and a map worker."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(child.process.poll() is not None for child in children):
            return False
        view = status.query(endpoint, timeout_ms=500)
        if view is not None:
            roles = {node["role"] for node in view["nodes"]}
            if {"edge", "storage", "map"} <= roles and not view.get("recovering"):
                try:
                    with urllib.request.urlopen(url, timeout=1, context=probe_context(url)) as response:
                        if response.status == 200:
                            return True
                except OSError:
                    pass
        time.sleep(0.2)
    return False


def probe_context(url: str) -> ssl.SSLContext | None:
    """For our own edge on this box: TLS without verification (its certificate may be self-signed)."""
    if not url.startswith("https:"):
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def print_banner(config: Config, data_dir, ws_url: str, http_url: str) -> None:
    """Where to connect: the websocket, the web client, the status page and metrics."""
    print(f"Odyssey is up: players connect to {ws_url}", flush=True)
    lan_play = ""
    if config.edge.host in ("0.0.0.0", "", "::"):  # listening on every interface
        lan = lan_address()
        print(f"  (on the LAN: {ws_url.replace('127.0.0.1', lan)})", flush=True)
        lan_play = f" (on the LAN: {http_url.replace('127.0.0.1', lan)}play/)"
    print(f"  play in a browser: {http_url}play/{lan_play}", flush=True)
    print(f"  status page: {http_url}status", flush=True)
    print(f"  metrics: {http_url}metrics", flush=True)
    print(f"  status: odyssey status --data-dir {data_dir}", flush=True)
    print(f"  stop: press Ctrl-C (or send SIGTERM to this process, pid {os.getpid()})", flush=True)


def take_data_dir(config: Config) -> DataDirLock | None:
    """The launcher's lock on the data directory (None, after printing why, if it is in use);
    then whatever a killed cluster left behind is stale and removed."""
    data_dir = config.data_dir
    lock = DataDirLock(data_dir / "odyssey.lock")
    try:
        lock.acquire(what="odyssey up", port=config.edge.port)
    except DataDirInUse as busy:
        print(f"odyssey: {in_use_message(data_dir, busy.holder)}", file=sys.stderr, flush=True)
        return None
    for node_lock in ("storage.lock", "broker.lock"):
        holder = held(data_dir / node_lock)
        if holder is not None:
            lock.release()
            print(f"odyssey: {in_use_message(data_dir, holder)}", file=sys.stderr, flush=True)
            return None
    for pattern in STALE_FILES:
        for path in data_dir.glob(pattern):
            log.info("removing %s, left by a cluster that did not stop cleanly", path.name)
            path.unlink(missing_ok=True)
    return lock


def up(config: Config, workers: int, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [odyssey] %(message)s",
                        datefmt="%H:%M:%S")
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)  # its ipc sockets are the cluster's door: only its owner may connect
    lock = take_data_dir(config)
    if lock is None:
        return 1
    endpoint = broker_endpoint_for(config)
    children = [Child("broker", "broker", node_argv("broker", "broker", config, args, endpoint)),
                Child("storage", "storage", node_argv("storage", "storage", config, args, endpoint))]
    children += [Child("map", f"map-{i + 1}", node_argv("map", f"map-{i + 1}", config, args, endpoint))
                 for i in range(workers)]
    children.append(Child("edge", "edge-1", node_argv("edge", "edge-1", config, args, endpoint)))
    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))
    try:
        return run_children(config, children, endpoint, stopping)
    finally:
        stop_all(children)
        (data_dir / "run.json").unlink(missing_ok=True)
        lock.release()


def run_children(config: Config, children: list[Child], endpoint: str, stopping: list[int]) -> int:
    data_dir, port = config.data_dir, config.edge.port
    log.info("data directory %s; broker at %s", data_dir, endpoint)
    log.info("starting broker, storage, %d map workers and an edge on port %d",
             sum(1 for c in children if c.role == "map"), port)
    for child in children:
        child.start()
    host = "127.0.0.1" if config.edge.host in ("0.0.0.0", "", "::") else config.edge.host
    tls = config.edge_tls is not None
    ws_url = f"{'wss' if tls else 'ws'}://{host}:{port}/"
    http_url = f"{'https' if tls else 'http'}://{host}:{port}/"
    if not wait_until_ready(f"{http_url}healthz", endpoint, children):
        log.error("the cluster did not come up; stopping (see the log lines above)")
        return 1
    status.write_run_file(data_dir, endpoint, ws_url, os.getpid())
    print_banner(config, data_dir, ws_url, http_url)
    supervise(children, stopping, endpoint, config.launcher.hung_after_ms / 1000)
    log.info("stopping: edges, map workers, storage, broker")
    return 1 if CONFIG_ERROR_EXIT in stopping else 0


def supervise(children: list[Child], stopping: list[int], endpoint: str, hung_after_s: float) -> None:
    next_status = time.monotonic()
    watch = HangWatch(hung_after_s)
    while not stopping:
        now = time.monotonic()
        if now >= next_status:
            next_status = now + STATUS_EVERY_S
            watch.check(children, status.query(endpoint, timeout_ms=500), now)
        for child in children:
            if child.alive():
                if now - child.started_at > STABLE_AFTER_S:
                    child.backoff_s = 0.5
                continue
            if child.process.returncode == CONFIG_ERROR_EXIT:
                log.error("%s cannot start as configured (see its log above); stopping", child.name)
                stopping.append(CONFIG_ERROR_EXIT)
                return
            if child.restart_at is None:
                code = child.process.returncode
                why = "its watchdog ended it" if code == WATCHDOG_EXIT else f"code {code}"
                log.warning("%s exited (%s); restarting in %.1f s", child.name, why, child.backoff_s)
                child.restart_at = now + child.backoff_s
                child.backoff_s = min(child.backoff_s * 2, MAX_BACKOFF_S)
            elif now >= child.restart_at:
                child.restarts += 1
                log.info("restarting %s (restart %d)", child.name, child.restarts)
                child.start()
        time.sleep(0.2)


class HangWatch:
    """Kills a child whose heartbeats stopped while its process lives; the loop then restarts it.

    The broker's view says how long ago each node was last heard; the broker itself is hung when it
    does not answer at all. The other children are judged only while the broker has answered for a
    while (after a broker restart they re-register first), and only once heard since their start.
    """

    def __init__(self, hung_after_s: float) -> None:
        self.hung_after_s = hung_after_s
        self.answering_since: float | None = None

    def check(self, children: list[Child], view: dict | None, now: float) -> None:
        if view is None:
            self.answering_since = None
        elif self.answering_since is None:
            self.answering_since = now
        ages = {} if view is None else {node["name"]: node["heartbeat_age_s"] for node in view["nodes"]}
        judging = self.answering_since is not None and now - self.answering_since >= self.hung_after_s
        for child in children:
            if not child.alive():
                continue
            if child.role == "broker":
                if view is not None:
                    child.heard_at = now
            elif child.name in ages and ages[child.name] < self.hung_after_s / 2:
                child.heard_at = now - ages[child.name]
            elif not judging:
                continue
            if child.heard_at is not None and now - child.heard_at > self.hung_after_s:
                log.warning("%s (pid %s) has not been heard for %.0f s but its process lives; killing it",
                            child.name, child.process.pid, now - child.heard_at)
                child.process.kill()
                child.process.wait()


def stop_all(children: list[Child]) -> None:
    for role, pause_s in (("edge", 0.6), ("map", 0.3), ("storage", 0.0), ("broker", 0.0)):
        for child in children:
            if child.role == role and child.alive():
                child.process.send_signal(signal.SIGTERM)
        for child in children:
            if child.role == role:
                child.stop(timeout_s=8.0)
        if any(child.role == role for child in children):
            time.sleep(pause_s)


def lan_address() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
