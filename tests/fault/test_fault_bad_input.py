"""Bad input from one connection (PROTOCOL 0.1, 2.1; DESIGN "Rules of thumb").

Each case runs on its own connection while a logged-in watcher keeps
playing on map 0. Expected: the bad connection is closed (or, for a
negative type, ignored), the watcher still gets his chat echo, and no node
restarted (the broker lists every node with the same pid).
"""
from __future__ import annotations

import contextlib
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from faultkit import email_of, enter_game, expect, node_pids, say
from harness import ClusterHarness

MAX_FRAME_BYTES = 65536  # cluster.toml edge.max_frame_bytes default
PACKETS_PER_SECOND = 40  # edge.packets_per_second default
BURST = 80  # edge.burst default


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One cluster and one watcher for every case of this module."""
    cluster = ClusterHarness(tmp_path_factory.mktemp("bad-input")).start()
    try:
        watcher = enter_game(cluster, "Watcher", profession_id=0)
        yield cluster, watcher, node_pids(cluster.status())
        watcher.close()
    finally:
        cluster.stop_all()


def _frame_of_size(size: int) -> str:
    """A JSON object with a negative type (ignored) whose UTF-8 text is exactly size bytes."""
    skeleton = json.dumps({"type": -1, "pad": ""})
    return json.dumps({"type": -1, "pad": "x" * (size - len(skeleton))})


def _after_check(cluster, watcher, baseline, case: str) -> None:
    say(watcher, f"still playing after {case}")
    assert node_pids(cluster.status()) == baseline, f"a node restarted or vanished after {case}"


CLOSING_FRAMES = {
    "not json": "this is not json",
    "truncated json": '{"type": 1, "email": ',
    "json array": "[0, 1, 2]",
    "json number": "5",
    "json string": '"hello"',
    "json null": "null",
    "no type": json.dumps({"email": "a@b.c", "password": "pw"}),
    "string type": json.dumps({"type": "1", "email": "a@b.c", "password": "pw"}),
    "numeric string type": json.dumps({"type": "5", "text": "hi"}),
    "float type": json.dumps({"type": 1.0, "email": "a@b.c", "password": "pw"}),
    "float type 5.5": json.dumps({"type": 5.5}),
    "bool type": json.dumps({"type": True}),
    "null type": json.dumps({"type": None}),
    "nan type": '{"type": NaN}',
    "type 5 before login": json.dumps({"type": 5, "text": "hi"}),
    "type 6 before login": json.dumps({"type": 6, "x": 5, "y": 5, "dir": 0, "speed": 1}),
    "type 33 before login": json.dumps({"type": 33}),
    # Account packets the protocol answers with a close (2.2.2 to 2.2.5).
    "login without fields": json.dumps({"type": 1}),
    "reset slot before login": json.dumps({"type": 2, "slot_id": 0}),
    "create character before login": json.dumps({"type": 3, "name": "Nobody", "profession_id": 0, "gender": 0}),
    "enter game before login": json.dumps({"type": 4, "slot_id": 0}),
}


@pytest.mark.parametrize("case", sorted(CLOSING_FRAMES))
def test_bad_frame_closes_only_that_connection(shared, case):
    cluster, watcher, baseline = shared
    bad = cluster.client()
    bad.send_raw(CLOSING_FRAMES[case])
    assert bad.is_closed(3.0), f"the server kept the connection open after {case}"
    _after_check(cluster, watcher, baseline, case)


def test_binary_frame_closes(shared):
    cluster, watcher, baseline = shared
    bad = cluster.client()
    bad.send_raw(json.dumps({"type": 1, "email": "a@b.c", "password": "pw"}).encode())
    assert bad.is_closed(3.0), "a binary frame must close the connection (PROTOCOL 0.1)"
    _after_check(cluster, watcher, baseline, "a binary frame")


def test_frame_over_the_size_limit_closes(shared):
    cluster, watcher, baseline = shared
    fits = cluster.client()
    fits.send_raw(_frame_of_size(MAX_FRAME_BYTES))
    assert not fits.is_closed(1.0), f"a frame of exactly {MAX_FRAME_BYTES} bytes must be accepted"
    too_big = cluster.client()
    too_big.send_raw(_frame_of_size(MAX_FRAME_BYTES + 1))
    assert too_big.is_closed(3.0), f"a frame of {MAX_FRAME_BYTES + 1} bytes must close the connection"
    huge = cluster.client()
    with contextlib.suppress(ConnectionClosed):  # the server may close before the whole frame is written
        huge.send_raw(json.dumps({"type": 5, "text": "x" * (4 * MAX_FRAME_BYTES)}))
    assert huge.is_closed(3.0)
    _after_check(cluster, watcher, baseline, "oversized frames")


def test_negative_type_is_ignored(shared):
    cluster, watcher, baseline = shared
    client = cluster.client()
    for packet_type in (-1, -5, -(2 ** 70)):
        client.send({"type": packet_type, "email": "x@y.z", "password": "pw"})
    assert not client.is_closed(1.0), "a negative type must be ignored, not close (PROTOCOL 2.1)"
    replies = client.create_account(email_of("Negative"))
    assert replies[-1]["win"] == "winSelectPlayer", f"a valid packet after negative types failed: {replies[-1]}"
    _after_check(cluster, watcher, baseline, "negative types")


@pytest.mark.parametrize("packet", [{"type": 5, "text": "too early"}, {"type": 6, "x": 5, "y": 5, "dir": 0, "speed": 1},
                                    {"type": 10}, {"type": 33}], ids=["chat", "move", "pickup", "unknown 33"])
def test_map_packet_after_login_before_entering_closes(shared, packet):
    cluster, watcher, baseline = shared
    client = cluster.client()
    name = f"Early{packet['type']}"
    assert client.create_account(email_of(name))[-1]["win"] == "winSelectPlayer"
    client.send(packet)
    assert client.is_closed(3.0), f"type {packet['type']} at character select must close (PROTOCOL 2.1)"
    _after_check(cluster, watcher, baseline, f"type {packet['type']} at character select")
    # The account is free again once its connection closed.
    again = cluster.client()
    deadline = time.monotonic() + 5.0
    while (reply := again.login(email_of(name))[-1])["win"] != "winSelectPlayer" and time.monotonic() < deadline:
        time.sleep(0.25)
    assert reply["win"] == "winSelectPlayer", f"the account stayed locked after the close: {reply}"


def test_burst_below_the_limit_is_accepted(shared):
    cluster, watcher, baseline = shared
    client = cluster.client()
    for _ in range(BURST // 2):
        client.send({"type": -1})
    assert not client.is_closed(1.0), f"{BURST // 2} packets at once are within the burst of {BURST}"
    _after_check(cluster, watcher, baseline, "a small burst")


def test_flood_closes_the_flooder_only(shared):
    cluster, watcher, baseline = shared
    flooder = enter_game(cluster, "Flooder", profession_id=1)
    watcher.drain(0.3)
    sent, started = 0, time.monotonic()
    with contextlib.suppress(ConnectionClosed):  # closed while still sending
        for sent in range(1, 10 * BURST + 1):
            flooder.send({"type": 5, "text": f"flood {sent}"})
    assert flooder.is_closed(3.0), f"{sent} packets in {time.monotonic() - started:.2f} s did not close the flooder"
    elapsed = time.monotonic() - started
    got = expect(watcher, lambda p: p["type"] == 111 and p["player_id"] == flooder.pid, "the flooder's 111")
    say(watcher, "the flood is over")
    relayed = [p for p in watcher.seen if p["type"] == 114 and p["text"].startswith("Flooder:flood ")]
    allowed = BURST + PACKETS_PER_SECOND * elapsed + 1
    assert 0 < len(relayed) <= allowed, f"{len(relayed)} flood lines passed the edge; at most {allowed:.0f} may"
    assert got and node_pids(cluster.status()) == baseline
    assert not watcher.is_closed(0.3)


def test_huge_integer_type_does_not_break_the_edge(cluster):
    """A type too big for the node-to-node format (msgpack: < 2**64) must not poison the edge's batch.

    Runs on its own cluster: when it fails, the edge is left deaf.
    """
    watcher = enter_game(cluster, "Watcher", profession_id=0)
    baseline = node_pids(cluster.status())
    bad = cluster.client()
    bad.send_raw(f'{{"type": {2 ** 64}}}')
    assert bad.is_closed(3.0), "a type >= 5 before login must close the connection (PROTOCOL 2.1)"
    _after_check(cluster, watcher, baseline, "a type of 2**64")
    newcomer = enter_game(cluster, "Newcomer", profession_id=2)
    say(newcomer, "the edge still works", hearers=(watcher,))
