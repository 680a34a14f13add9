"""``odyssey up``: every role on this box, each in its own process, supervised.

Children are started as ``python -m cluster.cli node ROLE --name NAME ...``.
A child that dies unexpectedly is logged and restarted with a growing
back-off. Ctrl-C or SIGTERM stops them in an order that loses nothing:
edges first (players are saved as they leave), then map workers
(checkpoint and release), then storage (commit and close), then the broker.
"""
from __future__ import annotations

import argparse
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

from cluster import status
from cluster.config import Config

log = logging.getLogger("odyssey")

MAX_BACKOFF_S = 30.0
CONFIG_ERROR_EXIT = 2  # a node that exits with this cannot start as configured: no restart
STABLE_AFTER_S = 60.0
IPC_PATH_LIMIT = 100  # sun_path holds 107 bytes


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

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def broker_endpoint_for(config: Config) -> str:
    endpoint = config.broker_endpoint
    if endpoint.startswith("ipc://") and len(endpoint) - len("ipc://") > IPC_PATH_LIMIT:
        endpoint = f"tcp://127.0.0.1:{free_port()}"  # the data directory's path is too long for ipc
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
    print("  stop: press Ctrl-C (or send SIGTERM to this process)", flush=True)


def up(config: Config, workers: int, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [odyssey] %(message)s",
                        datefmt="%H:%M:%S")
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    endpoint = broker_endpoint_for(config)
    port = config.edge.port
    children = [Child("broker", "broker", node_argv("broker", "broker", config, args, endpoint)),
                Child("storage", "storage", node_argv("storage", "storage", config, args, endpoint))]
    children += [Child("map", f"map-{i + 1}", node_argv("map", f"map-{i + 1}", config, args, endpoint))
                 for i in range(workers)]
    children.append(Child("edge", "edge-1", node_argv("edge", "edge-1", config, args, endpoint)))
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    log.info("data directory %s; broker at %s", data_dir, endpoint)
    log.info("starting broker, storage, %d map workers and an edge on port %d", workers, port)
    for child in children:
        child.start()
    host = "127.0.0.1" if config.edge.host in ("0.0.0.0", "", "::") else config.edge.host
    tls = config.edge_tls is not None
    ws_url = f"{'wss' if tls else 'ws'}://{host}:{port}/"
    http_url = f"{'https' if tls else 'http'}://{host}:{port}/"
    if not wait_until_ready(f"{http_url}healthz", endpoint, children):
        log.error("the cluster did not come up; stopping (see the log lines above)")
        stop_all(children)
        return 1
    status.write_run_file(data_dir, endpoint, ws_url, os.getpid())
    print_banner(config, data_dir, ws_url, http_url)
    supervise(children, stopping)
    log.info("stopping: edges, map workers, storage, broker")
    stop_all(children)
    (data_dir / "run.json").unlink(missing_ok=True)
    log.info("stopped")
    return 1 if CONFIG_ERROR_EXIT in stopping else 0


def supervise(children: list[Child], stopping: list[int]) -> None:
    while not stopping:
        now = time.monotonic()
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
                log.warning("%s exited (code %s); restarting in %.1f s", child.name, code, child.backoff_s)
                child.restart_at = now + child.backoff_s
                child.backoff_s = min(child.backoff_s * 2, MAX_BACKOFF_S)
            elif now >= child.restart_at:
                child.restarts += 1
                log.info("restarting %s (restart %d)", child.name, child.restarts)
                child.start()
        time.sleep(0.2)


def stop_all(children: list[Child]) -> None:
    for role, pause_s in (("edge", 0.6), ("map", 0.3), ("storage", 0.0), ("broker", 0.0)):
        for child in children:
            if child.role == role and child.alive():
                child.process.send_signal(signal.SIGTERM)
        for child in children:
            if child.role == role:
                child.stop(timeout_s=8.0)
        time.sleep(pause_s)


def lan_address() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
