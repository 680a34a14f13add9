"""An authenticated cluster fabric: CurveZMQ on tcp, keys bound to a role and a name, operator keys.

The cluster here runs on tcp between its nodes, with key pairs made by `odyssey keys new` (the
harness's ``curve=True``). Expected (issue: an authenticated, fuzz-proof cluster fabric): players
play as on ipc; a peer without an authorized key gets nothing at all; a node's key registers only
as that node; ADMIN needs an operator key; a revoked key is refused; tcp without keys does not
start, with one line naming what is missing.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import zmq

from rawzmq import raw_dealer, request_reply, send
from harness import REPO, free_port

from cluster import wire
from cluster.keys import load_public, load_secret


def status_nodes(cluster) -> dict[str, int]:
    return {node["name"]: node["pid"] for node in cluster.status()["nodes"]}


def test_players_play_over_curve_and_the_operator_tools_work(cluster_factory):
    cluster = cluster_factory(curve=True)
    alice = cluster.client()
    alice.play("alice@curve.test", "Alice")
    alice.send({"type": 5, "text": "encrypted hello"})
    assert alice.recv_until(lambda p: p["type"] == 114)[-1]["text"] == "Alice:encrypted hello"
    result = cluster.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["players_in_game"] == 1
    assert "CurveZMQ" in cluster.logs["broker"].read_text()


def test_a_peer_without_an_authorized_key_gets_nothing(cluster_factory):
    cluster = cluster_factory(curve=True)
    broker_key = load_public(cluster.root / "keys" / "broker.key")
    stranger_public, stranger_secret = zmq.curve_keypair()  # a key pair nobody authorized
    for keys in (None, (stranger_public, stranger_secret)):
        dealer = raw_dealer(cluster.broker_endpoint, b"map-1#x", keys, broker_key)
        assert request_reply(dealer, [[wire.STATUS]]) is None
        send(dealer, [[wire.HELLO, "map", "map-1", "h", 1, "x", {}]])
        dealer.close(0)
    time.sleep(0.5)
    assert status_nodes(cluster)["map-1"] == cluster.processes["map-1"].pid


def test_a_nodes_key_registers_only_as_that_node_and_only_an_operator_may_administer(cluster_factory):
    cluster = cluster_factory(curve=True)
    keys = cluster.root / "keys"
    broker_key = load_public(keys / "broker.key")
    public, secret, _ = load_secret(keys / "edge-1.key_secret")
    before = status_nodes(cluster)
    # The edge's stolen key, used under the name of storage, and to register as storage under its own name.
    as_storage = raw_dealer(cluster.broker_endpoint, b"storage#evil", (public, secret), broker_key)
    assert request_reply(as_storage, [[wire.HELLO, "storage", "storage", "evil", 666, "evil", {}]]) is None
    as_edge = raw_dealer(cluster.broker_endpoint, b"edge-1#evil", (public, secret), broker_key)
    send(as_edge, [[wire.HELLO, "storage", "edge-1", "evil", 666, "evil", {}]])
    reply = request_reply(as_edge, [[wire.ADMIN, "r1", "reset_password", {"email": "alice@curve.test"}]])
    assert reply is None or all(item[0] != wire.ADMIN_REPLY for item in reply)
    for dealer in (as_storage, as_edge):
        dealer.close(0)
    time.sleep(0.5)
    after = status_nodes(cluster)
    assert after["storage"] == before["storage"] and 666 not in after.values()
    assert "uses the key of the edge edge-1" in cluster.logs["broker"].read_text()

    alice = cluster.client()
    alice.play("alice@curve.test", "Alice")  # storage, untouched, still serves accounts


def test_a_revoked_operator_key_is_refused(cluster_factory):
    cluster = cluster_factory(curve=True)
    assert cluster.cli("status", "--json").returncode == 0
    result = cluster.cli("keys", "revoke", "operator")
    assert result.returncode == 0, result.stderr
    time.sleep(1.5)
    result = cluster.cli("status", "--json")
    assert result.returncode != 0 and "no answer" in result.stderr


def test_tcp_without_keys_does_not_start_and_says_what_is_missing(tmp_path):
    config = tmp_path / "cluster.toml"
    config.write_text(f'[security]\nkeys_dir = "{tmp_path / "nokeys"}"\n')
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    result = subprocess.run([sys.executable, "-m", "cluster.cli", "node", "broker", "--name", "broker",
                             "--config", str(config), "--data-dir", str(tmp_path / "data"), "--broker", endpoint],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "broker.bind is tcp" in lines[0] and "broker.key_secret" in lines[0] and "odyssey keys new" in lines[0]


def test_curve_off_on_tcp_is_allowed_for_a_lab_with_a_warning(cluster_factory, tmp_path):
    config = tmp_path / "cluster.toml"
    config.write_text("[security]\ncurve = false\n")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    process = subprocess.Popen([sys.executable, "-m", "cluster.cli", "node", "broker", "--name", "broker",
                                "--config", str(config), "--data-dir", str(tmp_path / "data"), "--broker", endpoint],
                               cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        assert "UNSAFE" in line and "curve = false" in line
    finally:
        process.terminate()
        process.wait(10)
