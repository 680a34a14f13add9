"""Walking over a map edge onto a map owned by the other worker (PROTOCOL 5.1.2 step 7, 5.1.4, 5.2.1)."""
from __future__ import annotations

from protocol_expect import EAST, GREY, LAST, MAPS, NORTH, WEST, cross, enter_new, spawn, sync, walk


def test_walking_east_onto_the_other_workers_map_and_back(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=0)
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", profession_id=1, present=[alice])
    first_owner = cluster.owner_of(0)
    assert first_owner is not None and first_owner[0] in cluster.worker_names

    walk(alice, EAST, LAST - alice.pos["x"], observers=[bob])
    assert alice.pos["x"] == LAST
    assert cross(alice, EAST, "map_east_id", left_behind=[bob], already_there=[]) == 1
    assert alice.record["pos"] == {"x": 0, "y": 5, "dir": EAST, "map_id": 1}
    owner_1, owner_0 = cluster.owner_of(1), cluster.owner_of(0)
    assert owner_1 is not None, cluster.status()
    assert owner_1[0] != owner_0[0], f"maps 0 and 1 are both on {owner_1[0]}: the test needs two owners"

    # map chat stays on its map
    assert sync(bob)[bob.pid] == [] and sync(alice)[alice.pid] == []
    assert alice.client.drain() == [] and bob.client.drain() == []

    # the second player follows; the first, already on map 1, sees him arrive
    walk(bob, EAST, LAST - bob.pos["x"], observers=[])
    assert cross(bob, EAST, "map_east_id", left_behind=[], already_there=[alice]) == 1
    step_back_observers = [bob]
    walk(alice, EAST, 1, observers=step_back_observers)  # off the shared landing tile
    walk(alice, WEST, 1, observers=step_back_observers)

    # and back west onto map 0, which nobody is on now
    assert cross(alice, WEST, "map_west_id", left_behind=[bob], already_there=[]) == 0
    assert alice.record["pos"] == {"x": LAST, "y": 5, "dir": WEST, "map_id": 0}
    assert cluster.owner_of(0)[0] != cluster.owner_of(1)[0]
    walk(alice, WEST, 2, observers=[])  # the stored tile on map 0 is the landing tile
    assert alice.client.drain() == [] and bob.client.drain() == []


def test_an_unlinked_edge_bounces_the_mover(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=0)
    walk(alice, EAST, LAST - alice.pos["x"])
    cross(alice, EAST, "map_east_id", left_behind=[], already_there=[])
    assert MAPS[1]["map_north_id"] == -1
    walk(alice, NORTH, alice.pos["y"])
    assert alice.pos["y"] == 0
    alice.client.send({"type": 6, "x": alice.pos["x"], "y": 0, "dir": NORTH, "speed": 1})
    before = sync(alice)
    alice.pos["dir"] = NORTH
    assert before[alice.pid] == [spawn(alice.pid, alice.record)], "a bounce off an unlinked edge is a 110"
    assert alice.pos["map_id"] == 1


def test_join_and_leave_notices_reach_players_on_the_other_workers_map(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=0)
    walk(alice, EAST, LAST - alice.pos["x"])
    cross(alice, EAST, "map_east_id", left_behind=[], already_there=[])
    assert cluster.owner_of(1)[0] != cluster.owner_of(0)[0]
    # Bob starts on map 0: Alice, in the game on map 1, gets the "joined" notice and nothing else
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", profession_id=1, elsewhere=[alice])
    assert sync(bob)[bob.pid] == []
    assert alice.client.drain() == [], "map 0's chat and joins do not reach map 1"
    # Alice leaves the game from map 1: Bob gets the "has left" notice (everyone online), no 111
    alice.client.close()
    left = bob.client.recv()
    assert left["type"] == 114 and left["channel_id"] == 0 and left["color"] == GREY, left
    assert "Alice" in left["text"]
    assert bob.client.drain() == []
