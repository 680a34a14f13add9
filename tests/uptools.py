"""``odyssey up`` as a test drives it: the launcher in its own process, its stdout read line by line.

``Up`` starts one launcher on a temporary data directory and a free port
(optionally with a cluster.toml of its own), ``start_up`` is the fixture that
cleans up whatever a test started, and the helpers find the node processes of
a data directory through /proc.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness import REPO, GameClient, free_port

READY_TIMEOUT_S = 60.0  # first start: LMDB set-up and the starter world, with default argon2 costs
STOP_TIMEOUT_S = 12.0


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def survivors(pids: list[int], timeout_s: float = STOP_TIMEOUT_S) -> list[int]:
    """The pids still running after waiting up to ``timeout_s`` for them all to end."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (our data directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


class Up:
    """One ``odyssey up`` process with its stdout read line by line in a thread."""

    def __init__(self, root: Path, config: str | None = None, port: int | None = None,
                 data_dir: Path | None = None) -> None:
        self.root = root
        self.data_dir = data_dir or root / "data"
        self.port = port or free_port()
        self.lines: queue.Queue[str] = queue.Queue()
        self.node_pids: list[int] = []
        argv = [sys.executable, "-m", "cluster.cli", "up", "--data-dir", str(self.data_dir),
                "--port", str(self.port), "--workers", "2"]
        if config is not None:
            (root / "up.toml").write_text(config)
            argv += ["--config", str(root / "up.toml")]
        # cwd is the test's own directory: no ./cluster.toml there, so every setting is the default
        with open(root / "up.log", "a") as log:
            self.process = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=log, text=True,
                                            env={**os.environ, "PYTHONPATH": str(REPO)})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, fragment: str, timeout_s: float) -> str:
        seen = []
        try:
            while True:
                line = self.lines.get(timeout=timeout_s)
                seen.append(line)
                if fragment in line:
                    return line
        except queue.Empty:
            log = (self.root / "up.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"no line with {fragment!r} in {timeout_s} s; stdout {seen}\n{log}") from None

    def status(self) -> dict:
        result = subprocess.run([sys.executable, "-m", "cluster.cli", "status", "--data-dir", str(self.data_dir),
                                 "--json"], cwd=self.root, capture_output=True, text=True, timeout=15,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        assert result.returncode == 0, result.stderr
        view = json.loads(result.stdout)  # one JSON object and nothing else
        assert isinstance(view, dict)
        self.node_pids = sorted({*self.node_pids, *(node["pid"] for node in view["nodes"])})
        return view

    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_TIMEOUT_S)

    def clean_up(self) -> None:
        """After a failure: stop what this test started, by pid."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.node_pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def start_up(tmp_path_factory):
    started: list[Up] = []
    clients: list[GameClient] = []

    def start(config: str | None = None, port: int | None = None, data_dir: Path | None = None,
              root: Path | None = None) -> Up:
        up = Up(root or tmp_path_factory.mktemp("up"), config, port, data_dir)
        started.append(up)
        return up

    def client(up: Up) -> GameClient:
        game_client = GameClient(up.url())
        clients.append(game_client)
        return game_client

    start.client = client
    yield start
    for game_client in clients:
        try:
            game_client.close()
        except Exception:
            pass
    for up in started:
        up.clean_up()
