"""SIGKILL an edge (DESIGN "Leases and failure": "When an edge dies, its sessions
end and their players are saved and removed from maps").

Expected, computed from PROTOCOL 5.1.5: the others on the map get ``111``
for each player of the dead edge, and everyone online gets a "has left"
``114``; the account is free again, so its owner can log in through another
edge and finds his character where he last stood.
"""
from __future__ import annotations

import time

from faultkit import (CHECKPOINT_INTERVAL_S, SOUTH, START_MAP, START_TILE, email_of, enter_game, expect, node_pids,
                      own_spawns, relayed_step, say, step, wait_view)
from harness import GameClient

RELOGIN_WITHIN_S = 5.0


def _log_in_again(cluster, email: str, edge: str) -> tuple[GameClient, list[dict]]:
    """Log in through ``edge``, retrying while the account is still held; the client and its replies."""
    client = cluster.client(edge)
    started = time.monotonic()
    while True:
        replies = client.login(email)
        final = replies[-1]
        if final["win"] == "winSelectPlayer":
            return client, replies
        assert "already" in final["message"].lower(), f"login refused for another reason: {final}"
        assert time.monotonic() - started < RELOGIN_WITHIN_S, \
            f"the account is still 'already logged in' {RELOGIN_WITHIN_S} s after its edge died: {final}"
        time.sleep(0.25)


def test_dead_edge_sessions_end_and_players_can_come_back(cluster_factory):
    cluster = cluster_factory(edges=2)
    alice = enter_game(cluster, "Alice", profession_id=0, edge="edge-1")
    bob = enter_game(cluster, "Bob", profession_id=1, edge="edge-2")
    say(alice, "hello from edge one", hearers=(bob,))

    x, y = START_TILE[0]
    step(alice, x, y, SOUTH)
    expect(bob, relayed_step(alice, (x, y)), "the relay of Alice's step")
    last_tile = (x, y + 1)
    time.sleep(4 * CHECKPOINT_INTERVAL_S)
    alice_pid = alice.pid

    cluster.kill("edge-1")
    got = expect(bob, lambda p: p["type"] == 111 and p["player_id"] == alice_pid, "Alice's 111", timeout=5.0)
    assert int(got[-1]["map_id"]) == START_MAP
    expect(bob, lambda p: p["type"] == 114 and p["text"].startswith("Alice") and "left" in p["text"],
           "the 'Alice has left' notice", timeout=5.0)

    view = wait_view(cluster, lambda v: "edge-1" not in node_pids(v), "edge-1 gone")
    assert view["players_in_game"] == 1
    assert "edge-2" in node_pids(view)

    # Bob, on the surviving edge, plays on.
    say(bob, "still here")

    # Alice comes back through edge-2: not refused, and her character stands where she last stood.
    alice2, replies = _log_in_again(cluster, email_of("Alice"), "edge-2")
    alice2.name = "Alice"
    account = next(p for p in replies if p["type"] == 101)["account"]
    character = account["players"][0]
    assert character["name"] == "Alice"
    assert (character["pos"]["x"], character["pos"]["y"]) == last_tile
    assert int(character["pos"]["map_id"]) == START_MAP
    entered = alice2.enter(0)
    own = next(p for p in entered if p["type"] == 109)["player"]
    assert (own["pos"]["x"], own["pos"]["y"], int(own["pos"]["map_id"])) == (*last_tile, START_MAP)
    spawns = own_spawns(alice2, entered)
    assert spawns and all((s["pos"]["x"], s["pos"]["y"]) == last_tile for s in spawns)
    seen_by_bob = expect(bob, lambda p: p["type"] == 110 and p["player_id"] == alice2.pid, "Alice's new 110")[-1]
    assert (seen_by_bob["pos"]["x"], seen_by_bob["pos"]["y"]) == last_tile
    say(alice2, "back through edge two", hearers=(bob,))
    step(alice2, *last_tile, SOUTH)
    expect(bob, relayed_step(alice2, last_tile), "the relay of Alice's step from her saved tile")
