"""The LAN-party command: ``odyssey up`` runs a whole cluster, ``odyssey status`` reports it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from harness import REPO
from protocol_expect import enter_new
from uptools import READY_TIMEOUT_S, alive, processes_mentioning, survivors

def check_status(up: Up, players_in_game: int) -> dict:
    view = up.status()
    for node in view["nodes"]:
        assert {"role", "name", "pid"} <= set(node), node
        assert isinstance(node["pid"], int) and alive(node["pid"]), node
    roles = sorted(node["role"] for node in view["nodes"])
    assert roles == ["broker", "edge", "map", "map", "storage"], roles
    map_nodes = {node["name"] for node in view["nodes"] if node["role"] == "map"}
    for lease in view["leases"]:
        assert {"map_id", "worker", "epoch", "expires_in_ms"} <= set(lease), lease
        assert lease["worker"] in map_nodes and isinstance(lease["expires_in_ms"], int)
    assert [lease["map_id"] for lease in view["leases"]] == [0], view["leases"]
    assert view["players_in_game"] == players_in_game, view
    return view


def test_up_serves_players_reports_status_and_stops_on_sigterm(start_up):
    up = start_up()
    line = up.wait_for_line(up.url(), READY_TIMEOUT_S)
    assert f"ws://127.0.0.1:{up.port}/" in line
    alice = enter_new(start_up.client(up), "alice@example.org", "Alice", profession_id=0)
    bob = enter_new(start_up.client(up), "bob@example.org", "Bob", profession_id=1, present=[alice])
    alice.client.send({"type": 5, "text": "we are on a LAN"})
    for player in (alice, bob):
        assert player.client.recv()["text"] == "Alice:we are on a LAN"
    check_status(up, players_in_game=2)
    node_pids = list(up.node_pids)
    assert len(node_pids) == 5 and up.process.pid not in node_pids

    assert up.terminate() == 0
    assert survivors(node_pids) == [], "nodes still running after odyssey up exited"
    assert processes_mentioning(str(up.data_dir)) == []


def test_two_ups_with_their_own_data_dirs_and_ports_run_side_by_side(start_up):
    first, second = start_up(), start_up()
    for up in (first, second):
        up.wait_for_line(up.url(), READY_TIMEOUT_S)
    # the same e-mail and name on both: they share nothing
    players = [enter_new(start_up.client(up), "lan@example.org", "Host", profession_id=2)
               for up in (first, second)]
    for up in (first, second):
        check_status(up, players_in_game=1)  # each sees only its own player
    assert not set(first.node_pids) & set(second.node_pids)
    for player in players:
        player.client.send({"type": 6, "x": player.pos["x"], "y": player.pos["y"], "dir": 3, "speed": 0})
        assert player.client.drain() == [], "a player alone on his map hears nothing"
    players[0].client.send({"type": 5, "text": "anyone?"})
    assert players[0].client.recv()["text"] == "Host:anyone?"
    assert players[1].client.drain() == []
    for up in (first, second):
        pids = list(up.node_pids)
        assert up.terminate() == 0
        assert survivors(pids) == [], "nodes still running after odyssey up exited"
        assert processes_mentioning(str(up.data_dir)) == []


def test_up_restarts_a_child_that_dies_and_players_stay(start_up):
    """A SIGKILLed map worker is restarted by `odyssey up`; the player on its map stays online."""
    up = start_up()
    up.wait_for_line(up.url(), READY_TIMEOUT_S)
    alice = enter_new(start_up.client(up), "carol@example.org", "Carol", profession_id=0)
    view = check_status(up, players_in_game=1)
    owner = view["leases"][0]["worker"]
    old_pid = next(node["pid"] for node in view["nodes"] if node["name"] == owner)
    os.kill(old_pid, signal.SIGKILL)

    def restarted() -> int | None:
        nodes = {node["name"]: node["pid"] for node in up.status()["nodes"]}
        return nodes.get(owner) if nodes.get(owner) not in (None, old_pid) else None
    deadline = time.monotonic() + 30
    new_pid = None
    while new_pid is None and time.monotonic() < deadline:
        new_pid = restarted()
        time.sleep(0.3)
    assert new_pid is not None and alive(new_pid), f"{owner} was not restarted"
    # the player never lost his connection, and the map is served again
    alice.client.send({"type": 5, "text": "still here"})
    got = alice.client.recv_until(lambda p: p["type"] == 114 and p["text"] == "Carol:still here", timeout=15)
    assert got[-1]["channel_id"] == 0
    assert up.terminate() == 0


def test_up_refuses_a_broken_world_with_one_clear_line(start_up, tmp_path):
    """A --world that does not validate stops `odyssey up` with the reason, not a restart loop."""
    world = tmp_path / "broken"
    (world / "maps").mkdir(parents=True)
    (world / "maps" / "0.json").write_text("{not json")
    for name in ("professions", "items", "npcs", "shops", "quests"):
        (world / f"{name}.json").write_text("[]")
    up = start_up()
    up.process.kill()
    up.process.wait()
    argv = [sys.executable, "-m", "cluster.cli", "up", "--data-dir", str(up.data_dir), "--port", str(up.port),
            "--world", str(world)]
    result = subprocess.run(argv, cwd=up.root, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode != 0
    assert "cannot load the world" in result.stderr and "0.json" in result.stderr, result.stderr[-2000:]
    assert processes_mentioning(str(up.data_dir)) == []
