"""SIGKILL the broker and start it again (DESIGN "Leases and failure", last sentences).

Expected: nodes notice, keep running (same pids), reconnect and re-announce
(edges their live sessions, workers their maps); after the recovery window
the new broker serves new players, and a player connected before the crash
stays connected and keeps playing.
"""
from __future__ import annotations

import time

from faultkit import (SOUTH, START_MAP, START_TILE, email_of, enter_game, expect, lease_of, node_pids, relayed_step,
                      say, step)

BROKER_DOWN_S = 1.5  # longer than heartbeat × liveness (750 ms): every node notices the loss


def _restart_broker(cluster) -> dict:
    before = cluster.status()
    cluster.kill("broker")
    time.sleep(BROKER_DOWN_S)
    cluster.start_node("broker", "broker")
    view = cluster.wait_ready(timeout_s=5.0)
    survivors = {name: entry for name, entry in node_pids(before).items() if name != "broker"}
    after = {name: entry for name, entry in node_pids(view).items() if name != "broker"}
    assert after == survivors, \
        f"after the broker restart the nodes should re-register unchanged: {after} vs {survivors}"
    assert node_pids(view)["broker"] == ("broker", cluster.processes["broker"].pid)
    return before


def test_new_players_are_served_after_a_broker_restart(cluster):
    _restart_broker(cluster)
    carol = enter_game(cluster, "Carol", profession_id=0)
    dave = enter_game(cluster, "Dave", profession_id=1)
    say(carol, "after the broker restart", hearers=(dave,))
    say(dave, "hello Carol", hearers=(carol,))
    view = cluster.status()
    assert view["players_in_game"] == 2
    assert lease_of(view, START_MAP)["players"] == 2


def test_player_connected_across_a_broker_restart_keeps_playing(cluster):
    alice = enter_game(cluster, "Alice", profession_id=0)
    bob = enter_game(cluster, "Bob", profession_id=1)
    say(alice, "before", hearers=(bob,))
    before = cluster.status()
    lease_before = lease_of(before, START_MAP)

    _restart_broker(cluster)

    # The edge must not close the sockets of its live sessions while the broker is away.
    for client in (alice, bob):
        assert not client.is_closed(0.3), f"{client.name}'s websocket was closed by the broker restart"
    view = cluster.status()
    assert view["players_in_game"] == 2, f"the edge's re-announced sessions are missing: {view}"
    lease = lease_of(view, START_MAP)
    assert lease is not None and (lease["worker"], lease["epoch"]) == (lease_before["worker"], lease_before["epoch"]), \
        f"the owner should re-announce map {START_MAP} with its lease: before {lease_before}, after {lease}"
    assert lease["players"] == 2

    say(alice, "after the broker restart", hearers=(bob,))
    say(bob, "I hear you", hearers=(alice,))
    x, y = START_TILE[0]
    step(alice, x, y, SOUTH)
    expect(bob, relayed_step(alice, (x, y)), "the relay of Alice's step after the broker restart")

    # A newcomer meets them: the map's player list and the session table agree.
    carol = enter_game(cluster, "Carol", profession_id=2)
    names_seen = {p["name"] for p in carol.seen if p["type"] == 110}
    assert {"Alice", "Bob", "Carol"} <= names_seen, f"Carol's map join showed {names_seen}"
    say(carol, "hi both", hearers=(alice, bob))

    # Leaving after the restart ends the re-announced session everywhere: the map says
    # goodbye and storage lets the account log in again.
    alice.close()
    expect(bob, lambda p: p["type"] == 111 and p["player_id"] == alice.pid, "Alice's 111")
    expect(bob, lambda p: p["type"] == 114 and p["text"].startswith("Alice") and "left" in p["text"],
           "the 'Alice has left' notice")
    again = cluster.client()
    deadline = time.monotonic() + 5.0
    while True:
        reply = again.login(email_of("Alice"))[-1]
        if reply["win"] == "winSelectPlayer" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert reply["win"] == "winSelectPlayer", f"Alice cannot log in again after leaving: {reply}"


def test_connections_outside_the_game_survive_a_broker_restart(cluster):
    """A socket at character select and a bare socket stay usable across the restart."""
    watcher = enter_game(cluster, "Watcher", profession_id=0)
    selecting = cluster.client()
    assert selecting.create_account(email_of("Dave"))[-1]["win"] == "winSelectPlayer"
    bare = cluster.client()

    _restart_broker(cluster)

    for client in (selecting, bare):
        assert not client.is_closed(0.3), "a websocket was closed by the broker restart"
    selecting.send({"type": 3, "name": "Dave", "profession_id": 1, "gender": 0})
    entered = expect(selecting, lambda p: p["type"] == 109, "Dave's 109 after the restart")
    selecting.pid = entered[-1]["player_id"]
    expect(selecting, lambda p: p["type"] == 115 and p["player_id"] == selecting.pid, "Dave's map join")
    selecting.name = "Dave"
    say(selecting, "I chose after the restart", hearers=(watcher,))
    assert bare.create_account(email_of("Eve"))[-1]["win"] == "winSelectPlayer"
    bare.send({"type": 3, "name": "Eve", "profession_id": 2, "gender": 1})
    bare.enter_world()
    bare.name = "Eve"
    say(bare, "me too", hearers=(watcher, selecting))
