"""NPCs keep moving on a map whose owner was SIGKILLed (PROTOCOL 5.5, DESIGN "Leases and failure").

A player stands on Green Fields, where Rats and Slimes of the starter world
wander. The worker that owns the map is killed: the other worker takes the
map from its last checkpoint, re-joins the player (his websocket stays open),
and the same NPCs go on wandering, driven by the broker's pokes.
"""
from __future__ import annotations

import time

from play import SOUTH, Hero

FIELDS = 2


def npc_moves(packets: list[dict]) -> list[dict]:
    return [p for p in packets if p["type"] == 118 and int(p["map_id"]) == FIELDS]


def full_npcs(packets: list[dict]) -> list[dict]:
    return [p for p in packets if p["type"] == 113 and "slot_id" not in p and int(p["map_id"]) == FIELDS]


def test_npcs_keep_moving_after_the_owner_is_killed(cluster):
    client = cluster.client()
    hero = Hero(client, client.play("walker@example.org", "Walker", profession_id=0))
    hero.walk_to(5, 11)
    hero.step(SOUTH)
    assert hero.map_id == FIELDS
    before = hero.mark()
    hero.recv_until(lambda p: p["type"] == 118 and p["speed"] > 0, timeout=10)
    time.sleep(1.0)  # several checkpoints of the moving NPCs
    hero.drain(0.1)
    moved_before = npc_moves(hero.seen[before:])
    assert moved_before, "NPCs wander before the crash"
    spawned = {p["slot_id"]: p["map_npcs"]["npc_id"] for p in hero.seen[before:]
               if p["type"] == 113 and "slot_id" in p and p["map_npcs"]["npc_id"] > -1}
    assert set(spawned) == {0, 1, 2, 3, 4}

    owner, epoch = cluster.owner_of(FIELDS)
    cluster.kill(owner)
    hero.recv_until(lambda p: p["type"] == 106 and int(p["map_id"]) == FIELDS, timeout=10)  # the re-join
    rejoin = hero.mark() - 1
    hero.recv_until(lambda p: p["type"] == 118 and p["speed"] > 0, timeout=10)
    time.sleep(1.5)
    hero.drain(0.1)

    new_owner, new_epoch = cluster.owner_of(FIELDS)
    assert new_owner != owner and new_epoch > epoch
    slots = full_npcs(hero.seen[rejoin:])[0]["map_npcs"]
    assert {slot: slots[slot]["npc_id"] for slot in spawned} == spawned, "the same NPCs, from the checkpoint"
    after = npc_moves(hero.seen[rejoin:])
    assert len(after) >= 3, f"NPCs stopped moving after the failover: {len(after)} moves"
    assert not client.is_closed(0.2)
    # every step starts where the NPC stood: the new owner continues, it does not restart
    positions = {slot: (npc["pos"]["x"], npc["pos"]["y"]) for slot, npc in enumerate(slots) if npc["npc_id"] > -1}
    first_move = {}
    for move in after:
        first_move.setdefault(move["slot_id"], (move["x"], move["y"]))
    for slot, start in first_move.items():
        if slot in positions:
            assert start == positions[slot], (slot, start, positions[slot])
