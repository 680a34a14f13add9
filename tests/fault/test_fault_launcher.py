"""Children die with ``odyssey up``, whatever killed it; one launcher per data directory; a crash
of everything at once is recovered at the next start; a hung child is killed and restarted.

Each test runs the real launcher (``tests/uptools.Up``) with fast heartbeats and cheap hashing.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from harness import REPO, GameClient
from uptools import READY_TIMEOUT_S, alive, processes_mentioning, survivors

FAST = """
[heartbeat]
interval_ms = 250
liveness = 3
[lease]
duration_ms = 750
[broker]
recovery_window_ms = 600
[checkpoint]
interval_ms = 250
[storage]
argon2_time_cost = 1
argon2_memory_kib = 8192
argon2_parallelism = 1
[launcher]
hung_after_ms = 3000
"""


def enter_new(client: GameClient, email: str, name: str) -> GameClient:
    """A new account and character, in the game (acknowledged: storage committed both)."""
    client.play(email, name)
    return client


def node_pids(up) -> list[int]:
    """The processes of this data directory other than the launcher itself."""
    return [pid for pid in processes_mentioning(str(up.data_dir)) if pid != up.process.pid]


def login_and_enter(url: str, email: str, name: str) -> GameClient:
    """Log in to an existing account and enter the game with its first character (slot 0)."""
    client = GameClient(url)
    got = client.login(email)
    assert got[-1] == {"type": 100, "win": "winSelectPlayer", "message": ""}, got[-1]
    account = next(p for p in got if p["type"] == 101)["account"]
    assert account["players"][0]["name"] == name
    client.enter(0)
    return client


def test_sigkill_of_the_launcher_ends_every_node_and_the_next_up_just_works(start_up):
    up = start_up(FAST)
    up.wait_for_line(up.url(), READY_TIMEOUT_S)
    enter_new(start_up.client(up), "alice@launcher.test", "Alice")  # acknowledged: account and character
    nodes = node_pids(up)
    assert len(nodes) == 7, nodes  # broker, storage, edge, two map workers and their two guardians

    os.kill(up.process.pid, signal.SIGKILL)
    up.process.wait()
    assert survivors(nodes, timeout_s=3.0) == [], "nodes outlived their launcher by 3 s"

    again = start_up(FAST, port=up.port, data_dir=up.data_dir)
    again.wait_for_line(again.url(), READY_TIMEOUT_S)
    alice = login_and_enter(again.url(), "alice@launcher.test", "Alice")
    alice.close()
    assert again.terminate() == 0


def test_sigkill_of_every_process_at_once_is_recovered_at_the_next_start(start_up):
    up = start_up(FAST)
    up.wait_for_line(up.url(), READY_TIMEOUT_S)
    enter_new(start_up.client(up), "bob@launcher.test", "Bob")
    everything = [up.process.pid, *node_pids(up)]
    for pid in everything:
        os.kill(pid, signal.SIGKILL)  # a power cut: nothing stops cleanly, locks and sockets stay behind
    up.process.wait()
    assert survivors(everything, timeout_s=3.0) == []
    assert (up.data_dir / "broker.ipc").exists() and (up.data_dir / "run.json").exists()

    again = start_up(FAST, port=up.port, data_dir=up.data_dir)
    again.wait_for_line(again.url(), READY_TIMEOUT_S)
    bob = login_and_enter(again.url(), "bob@launcher.test", "Bob")
    bob.close()
    assert again.terminate() == 0


def test_a_second_up_on_a_data_directory_in_use_exits_at_once_and_touches_nothing(start_up):
    up = start_up(FAST)
    up.wait_for_line(up.url(), READY_TIMEOUT_S)
    carol = enter_new(start_up.client(up), "carol@launcher.test", "Carol")
    before = sorted(node_pids(up))

    other_port = str(up.port + 1 if up.port < 65535 else up.port - 1)
    result = subprocess.run([sys.executable, "-m", "cluster.cli", "up", "--data-dir", str(up.data_dir),
                             "--port", other_port], cwd=up.root, capture_output=True, text=True, timeout=30,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "in use" in lines[0] and f"pid {up.process.pid}" in lines[0] and f"port {up.port}" in lines[0]
    assert "odyssey status --data-dir" in lines[0] and f"kill -TERM {up.process.pid}" in lines[0]

    assert sorted(node_pids(up)) == before
    carol.send({"type": 5, "text": "still fine"})
    carol.recv_until(lambda p: p["type"] == 114 and p["text"] == "Carol:still fine")
    status = json.loads(subprocess.run([sys.executable, "-m", "cluster.cli", "status", "--data-dir",
                                        str(up.data_dir), "--json"], cwd=up.root, capture_output=True,
                                       text=True, timeout=15, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout)
    assert status["players_in_game"] == 1
    assert up.terminate() == 0


def test_a_stopped_map_worker_is_killed_and_restarted_and_nobody_is_disconnected(start_up):
    up = start_up(FAST)
    up.wait_for_line(up.url(), READY_TIMEOUT_S)
    dave = enter_new(start_up.client(up), "dave@launcher.test", "Dave")
    view = up.status()
    owner = view["leases"][0]["worker"]
    stopped = next(node["pid"] for node in view["nodes"] if node["name"] == owner)
    os.kill(stopped, signal.SIGSTOP)  # alive, but it will never beat again

    deadline = time.monotonic() + 30
    while alive(stopped) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(stopped), "the launcher did not kill the stopped worker"
    restarted = None
    while restarted is None and time.monotonic() < deadline:
        names = {node["name"]: node["pid"] for node in up.status()["nodes"]}
        restarted = names.get(owner) if names.get(owner) not in (None, stopped) else None
        time.sleep(0.2)
    assert restarted is not None and alive(restarted)
    assert "has not been heard" in (up.root / "up.log").read_text()
    dave.send({"type": 5, "text": "who turned off the lights"})
    dave.recv_until(lambda p: p["type"] == 114 and p["text"] == "Dave:who turned off the lights", 15)
    assert up.terminate() == 0
