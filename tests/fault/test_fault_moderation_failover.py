"""SIGKILL the map worker that holds a muted player: the mute is storage's (the ``mutes``
database, laid over the record the new owner loads), so it holds on the survivor."""
from __future__ import annotations

from faultkit import START_MAP, enter_game, expect, is_chat, lease_of, wait_view


def test_a_mute_holds_after_the_players_worker_dies(cluster):
    alice = enter_game(cluster, "Alice")
    bob = enter_game(cluster, "Bob", profession_id=1)
    result = cluster.cli("admin", "mute", "Bob", "1h")
    assert result.returncode == 0 and result.stdout.strip() == "Bob is muted for 1h.", result.stderr
    expect(bob, is_chat("You have been muted for 1h."), "the mute notice")
    owner, _epoch = cluster.owner_of(START_MAP)
    cluster.kill(owner)
    wait_view(cluster, lambda view: (lease_of(view, START_MAP) or {}).get("worker") not in (None, owner),
              "the map on the surviving worker")
    bob.send({"type": 5, "text": "can anyone hear me"})
    got = expect(bob, lambda p: p["type"] == 114 and p["text"].startswith("You are muted for "), "the mute notice",
                 timeout=8.0)
    assert not any(p["type"] == 114 and p["text"] == "Bob:can anyone hear me" for p in got)
    alice.drain()
    assert not any(p["type"] == 114 and "can anyone hear me" in p["text"] for p in alice.seen)
    assert cluster.cli("admin", "unmute", "Bob").returncode == 0
    expect(bob, is_chat("You can chat again."), "the unmute notice")
    bob.send({"type": 5, "text": "back again"})
    expect(alice, is_chat("Bob:back again"), "Bob's chat after the unmute", timeout=5.0)
