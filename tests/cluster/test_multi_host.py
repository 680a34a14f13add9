"""A cluster across two hosts (issue 12), the hosts being Linux network namespaces on this box.

The hub (broker and storage) and a game host (a map worker and an edge) are joined by a veth
pair on a private test address and talk over tcp with CurveZMQ, set up as README "Several
machines" says: the broker's, storage's and the operator's keys are made on the hub, the map
worker's and the edge's on the game host, each public key copied to the broker's authorized-keys
directory and the broker's public key to the game host. Expected: two players log in through the
game host's edge, one walks and chats and the other sees it; a node whose key was revoked, and a
node whose key was made for another role, never join. Skipped (with the reason) where namespaces
cannot be made.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from harness import REPO, TEST_CONFIG, GameClient, merged_config
from netns import Hosts, unusable_reason

HUB, GAME = "hub", "game"
HUB_ADDRESS, GAME_ADDRESS = "10.231.7.1", "10.231.7.2"
BROKER = f"tcp://{HUB_ADDRESS}:5555"
EDGE_PORT = 8080
SOUTH = 0


def enter_game(cluster: "TwoHosts", name: str, profession_id: int = 0) -> GameClient:
    client = cluster.client()
    client.play(f"{name.lower()}@hosts.test", name, profession_id)
    client.name = name
    return client


def say(client: GameClient, text: str, hearers: tuple = ()) -> None:
    """Map chat: the sender and every hearer get "<name>:<text>" (PROTOCOL 5.8)."""
    client.send({"type": 5, "text": text})
    line = f"{client.name}:{text}"
    for hearer in (client, *hearers):
        hearer.recv_until(lambda p: p["type"] == 114 and p["text"] == line)


class TwoHosts:
    """The hub and the game host: their directories, configs, keys and node processes."""

    def __init__(self, root, hosts: Hosts) -> None:
        self.root, self.hosts = root, hosts
        self.processes: dict[str, subprocess.Popen] = {}
        for host in (HUB, GAME):
            (root / host).mkdir()
            (root / host / "cluster.toml").write_text(merged_config(TEST_CONFIG, (
                f'[broker]\nbind = "tcp://{HUB_ADDRESS}:5555"\nendpoint = "{BROKER}"\n'
                f'[security]\nkeys_dir = "keys"\nauthorized_keys_dir = "keys/authorized"\n')))

    def odyssey(self, host: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """An ``odyssey`` command on a host, with that host's cluster.toml and data directory."""
        argv = [sys.executable, "-m", "cluster.cli", *args, "--config", str(self.root / host / "cluster.toml"),
                "--data-dir", str(self.root / host / "data")]
        return subprocess.run(self.hosts.argv(host, *argv), cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)

    def new_key(self, host: str, name: str, role: str) -> None:
        result = self.odyssey(host, "keys", "new", name, *(["--role", role] if role != "broker" else []))
        assert result.returncode == 0, result.stderr

    def copy_key(self, from_host: str, name: str, to_directory: str) -> None:
        """What an operator does with scp: one public key file, to the other host."""
        target = self.root / (GAME if from_host == HUB else HUB) / to_directory
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copy(self.root / from_host / "keys" / f"{name}.key", target / f"{name}.key")

    def start(self, host: str, role: str, name: str) -> subprocess.Popen:
        argv = [sys.executable, "-m", "cluster.cli", "node", role, "--name", name,
                "--config", str(self.root / host / "cluster.toml"), "--data-dir", str(self.root / host / "data")]
        if role == "edge":
            argv += ["--port", str(EDGE_PORT)]
        log = open(self.root / f"{name}.log", "ab")
        process = subprocess.Popen(self.hosts.argv(host, *argv), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def view(self) -> dict | None:
        result = self.odyssey(HUB, "status", "--json")
        return json.loads(result.stdout) if result.returncode == 0 else None

    def wait_nodes(self, names: set[str], timeout_s: float = 30) -> dict:
        deadline = time.monotonic() + timeout_s
        view = None
        while time.monotonic() < deadline:
            view = self.view()
            if view and not view["recovering"] and names <= {node["name"] for node in view["nodes"]}:
                return view
            time.sleep(0.3)
        raise AssertionError(f"nodes {names} not all registered; last view {view}\n{self.logs()}")

    def client(self) -> GameClient:
        sock = self.hosts.connect(GAME, GAME_ADDRESS, EDGE_PORT)
        return GameClient(f"ws://{GAME_ADDRESS}:{EDGE_PORT}/", sock=sock)

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)[-2000:]}" for name in self.processes)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    reason = unusable_reason()
    if reason is not None:
        pytest.skip(f"no network namespaces for a multi-host cluster: {reason}")
    hosts = Hosts()
    cluster = None
    try:
        hosts.add(HUB), hosts.add(GAME)
        hosts.link(HUB, HUB_ADDRESS, GAME, GAME_ADDRESS)
        cluster = TwoHosts(tmp_path_factory.mktemp("two-hosts"), hosts)
        for name, role in (("broker", "broker"), ("storage", "storage"), ("operator", "operator")):
            cluster.new_key(HUB, name, role)
        for name, role in (("map-1", "map"), ("edge-1", "edge")):
            cluster.new_key(GAME, name, role)
            cluster.copy_key(GAME, name, "keys/authorized")
        cluster.copy_key(HUB, "broker", "keys")
        cluster.start(HUB, "broker", "broker")
        cluster.start(HUB, "storage", "storage")
        cluster.start(GAME, "map", "map-1")
        cluster.start(GAME, "edge", "edge-1")
        cluster.wait_nodes({"storage", "map-1", "edge-1"})
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()
        hosts.remove()


def test_players_on_the_game_host_play_through_the_hub(two_hosts):
    walker = enter_game(two_hosts, "Walker")
    witness = enter_game(two_hosts, "Witness", profession_id=1)
    walker.drain(), witness.drain()
    say(walker, "hello across hosts", hearers=(witness,))
    walker.send({"type": 6, "x": 5, "y": 5, "dir": SOUTH, "speed": 1})
    witness.recv_until(lambda p: p["type"] == 115 and p["player_id"] == walker.pid and p.get("speed"))
    view = two_hosts.view()
    assert view["players_in_game"] == 2
    hosts_of = {node["name"]: node["host"] for node in view["nodes"]}
    assert "CurveZMQ" in two_hosts.log("broker")
    walker.close(), witness.close()
    assert hosts_of["map-1"] == hosts_of["edge-1"]  # (one box: the same host name in every namespace)


def test_a_revoked_key_and_a_key_of_another_role_are_refused(two_hosts):
    # map-2's key, made and authorized, then revoked on the hub before map-2 starts.
    two_hosts.new_key(GAME, "map-2", "map")
    two_hosts.copy_key(GAME, "map-2", "keys/authorized")
    assert two_hosts.odyssey(HUB, "keys", "revoke", "map-2").returncode == 0
    # map-3 runs with a key made for an edge.
    two_hosts.new_key(GAME, "map-3", "edge")
    two_hosts.copy_key(GAME, "map-3", "keys/authorized")
    time.sleep(1.2)  # the broker rereads its authorized keys every second
    for name in ("map-2", "map-3"):
        two_hosts.start(GAME, "map", name)
    time.sleep(3)
    names = {node["name"] for node in two_hosts.view()["nodes"]}
    assert not names & {"map-2", "map-3"}, names
    broker_log = two_hosts.log("broker")
    assert "refused a connection with an unknown key" in broker_log
    assert "refused a stranger's HELLO" in broker_log
    # The cluster plays on.
    player = enter_game(two_hosts, "Latecomer")
    say(player, "still here")
    player.close()
