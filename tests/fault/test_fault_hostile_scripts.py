"""Hostile admin scripts saved through type 26 on a live cluster (issue 11).

Two workers: Alice and Dave play on map 0 (one worker), Bob — staff — on map 1
(the other). Bob saves scripts that hang, swallow their time-out or never
load. Whatever the script does: Alice keeps walking and Dave keeps seeing her
steps with no gap over a second, nobody is disconnected, the script ends up
refused or quarantined (staff are told, ``/status.json``, ``odyssey status``
and ``/metrics`` list it), the packet that killed a worker is not replayed,
and a fresh player can still play.
"""
from __future__ import annotations

import time

import pytest
from faultkit import EAST, NORTH, SOUTH, START_TILE, STEP_PAUSE_S, email_of, expect, is_chat, relayed_step, step

# A long budget, a short watchdog: a hook that runs for seconds is ended by the worker's watchdog
# (as a C call that never returns would be), not by the sandbox's time-out.
HANG_CONFIG = """
[scripting]
budget_ms = 10000

[heartbeat]
watchdog_ms = 1000
"""

HANGING_CHAT = '''import time

def handleChat(playerID, text):
    if text == "hang":
        started = time.time()
        while time.time() - started < 4:
            pass
    return 0
'''

SWALLOWING_CHAT = '''def handleChat(playerID, text):
    if text == "hang":
        while True:
            try:
                try:
                    while True:
                        pass
                finally:
                    raise ValueError("mine")
            except ValueError:
                pass
    return 0
'''

LOOPING_MODULE = '''x = 0
while True:
    x += 1

def handleChat(playerID, text):
    return 1
'''


def walk_east_to_map_1(client, x: int, y: int) -> None:
    while x < 12:
        step(client, x, y, EAST)
        time.sleep(STEP_PAUSE_S)
        x += 1
    client.recv_until(lambda p: p["type"] == 106 and p["map_id"] == 1)


def enter(cluster, name: str, profession_id: int = 0):
    client = cluster.client()
    client.play(email_of(name), name, profession_id=profession_id)
    client.drain()
    return client


@pytest.fixture
def world(cluster_factory):
    """Alice and Dave on map 0, staff Bob on map 1, the two maps on different workers."""
    return start_world(cluster_factory, "")


@pytest.fixture
def hang_world(cluster_factory):
    """The same, with a hook budget longer than the watchdog."""
    return start_world(cluster_factory, HANG_CONFIG)


def start_world(cluster_factory, extra_config: str):
    cluster = cluster_factory(extra_config=extra_config)
    alice = enter(cluster, "Alice")
    dave = enter(cluster, "Dave", profession_id=3)
    bob = enter(cluster, "Bob", profession_id=1)
    walk_east_to_map_1(bob, *START_TILE[1])
    assert cluster.owner_of(0)[0] != cluster.owner_of(1)[0], "maps 0 and 1 should be on different workers"
    assert cluster.cli("admin", "set-access", "Bob", "4").returncode == 0
    bob.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    for client in (alice, dave, bob):
        client.drain()
    return cluster, alice, dave, bob


def save_script(client, name: str, text: str) -> dict:
    client.send({"type": 26, "name": name, "script": text})
    return client.recv_until(lambda p: p["type"] == 100 or (p["type"] == 114 and p["color"] == "#ff0000"),
                             timeout=15)[-1]


def walk_while(alice, dave, seconds: float) -> float:
    """Alice steps south and north for ``seconds``; the longest gap between Dave's relays of her steps."""
    x, y = START_TILE[0]
    last_seen = time.monotonic()
    longest = 0.0
    deadline = last_seen + seconds
    going_south = True
    while time.monotonic() < deadline:
        if going_south:
            step(alice, x, y, SOUTH)
        else:
            step(alice, x, y + 1, NORTH)
        expect(dave, relayed_step(alice), "the relay of Alice's step", timeout=3.0)
        now = time.monotonic()
        longest, last_seen = max(longest, now - last_seen), now
        going_south = not going_south
        time.sleep(STEP_PAUSE_S)
    return longest


def quarantined(cluster) -> dict[str, dict]:
    return {entry["script"]: entry for entry in cluster.status()["quarantined_scripts"]}


def fresh_player_plays(cluster) -> None:
    erin = enter(cluster, "Erin", profession_id=2)
    erin.send({"type": 5, "text": "hello world"})
    expect(erin, is_chat("Erin:hello world"), "a fresh player's chat")


def test_a_hook_that_hangs_its_worker_is_quarantined_and_its_packet_not_replayed(hang_world):
    cluster, alice, dave, bob = hang_world
    pids = {node["name"]: node["pid"] for node in cluster.status()["nodes"]}
    assert save_script(bob, "chat", HANGING_CHAT) == {"type": 100, "win": "winGame", "message": ""}
    bob_worker = cluster.owner_of(1)[0]
    other = cluster.owner_of(0)[0]
    time.sleep(0.5)  # the script reaches both workers

    bob.send({"type": 5, "text": "hang"})  # the poison: its hook hangs Bob's worker until the watchdog ends it
    longest = walk_while(alice, dave, 6.0)
    assert longest < 1.0, f"players on the other worker waited {longest:.2f} s between relays"

    got = bob.recv_until(lambda p: p["type"] == 114 and "disabled" in p["text"], timeout=10)
    notice = got[-1]
    assert notice["color"] == "#ff0000" and "chat" in notice["text"] and "handleChat" in notice["text"]
    entry = quarantined(cluster)["chat"]
    assert entry["function"] == "handleChat" and bob_worker in entry["reason"]
    assert cluster.owner_of(1)[0] == other, "Bob's map should have moved to the surviving worker"
    # The packet that killed the worker was dropped, not handed to the next owner.
    later = got + bob.drain(1.0)
    assert not any(p["type"] == 114 and p["text"] == "Bob:hang" for p in later), "the poison packet was replayed"

    bob.send({"type": 5, "text": "after"})  # the script is off: the default chat runs
    expect(bob, is_chat("Bob:after"), "Bob's chat on the new owner")
    for client in (alice, dave, bob):
        assert not client.is_closed(0.2), f"{client.name} was disconnected"
    view = cluster.status()
    survivors = {node["name"]: node["pid"] for node in view["nodes"]}
    assert survivors[other] == pids[other] and survivors["storage"] == pids["storage"]
    assert bob_worker not in survivors

    status_text = cluster.cli("status").stdout
    assert "quarantined scripts: 1" in status_text and "chat.handleChat" in status_text
    metrics = cluster.http_get("/metrics").decode()
    assert 'odyssey_script_quarantines_total{node="broker",role="broker"} 1.0' in metrics
    assert 'odyssey_scripts_quarantined{node="broker",role="broker"} 1.0' in metrics
    fresh_player_plays(cluster)

    # Saved again by staff, the script is out of quarantine (and harmless text runs).
    assert save_script(bob, "chat", HANGING_CHAT.replace('"hang"', '"never"'))["type"] == 100
    deadline = time.monotonic() + 5
    while "chat" in quarantined(cluster):
        assert time.monotonic() < deadline, "a saved script stayed quarantined"
        time.sleep(0.1)


def test_a_hook_that_swallows_its_time_out_is_quarantined_without_a_restart(world):
    cluster, alice, dave, bob = world
    pids = {node["name"]: node["pid"] for node in cluster.status()["nodes"]}
    assert save_script(bob, "chat", SWALLOWING_CHAT)["type"] == 100
    time.sleep(0.5)
    # The time-out cannot be swallowed: each call ends at the budget (its default chat runs),
    # and after scripting.quarantine_after (3) failures in a row the script is quarantined.
    for _ in range(3):
        bob.send({"type": 5, "text": "hang"})
        expect(bob, is_chat("Bob:hang"), "the default chat of a hook that ran out of time")
    longest = walk_while(alice, dave, 3.0)
    assert longest < 1.0, f"players on the other worker waited {longest:.2f} s between relays"
    notice = bob.recv_until(lambda p: p["type"] == 114 and "disabled" in p["text"], timeout=10)[-1]
    assert "handleChat" in notice["text"]
    assert "chat" in quarantined(cluster)
    bob.send({"type": 5, "text": "after"})
    expect(bob, is_chat("Bob:after"), "the default chat once the script is quarantined")
    assert {node["name"]: node["pid"] for node in cluster.status()["nodes"]} == pids, "a node restarted"
    for client in (alice, dave, bob):
        assert not client.is_closed(0.2), f"{client.name} was disconnected"
    fresh_player_plays(cluster)


def test_a_script_whose_module_body_never_ends_is_refused_and_the_old_one_stays(world):
    cluster, alice, dave, bob = world
    assert save_script(bob, "chat", HANGING_CHAT.replace("return 0", "return 1"))["type"] == 100
    time.sleep(0.5)
    refusal = save_script(bob, "chat", LOOPING_MODULE)
    assert refusal["type"] == 114 and refusal["color"] == "#ff0000"
    assert refusal["text"].startswith("Script chat was not saved:"), refusal
    assert walk_while(alice, dave, 1.0) < 1.0
    bob.send({"type": 5, "text": "still the old one"})  # the old version overrides chat (returns 1)
    assert not any(p["type"] == 114 and p["text"] == "Bob:still the old one" for p in bob.drain(1.0))
    bob.send({"type": 5, "text": "/editscript chat"})
    shown = bob.recv_until(lambda p: p["type"] == 138)[-1]
    assert "while True" not in shown["script"] and "handleChat" in shown["script"]
    assert quarantined(cluster) == {}
