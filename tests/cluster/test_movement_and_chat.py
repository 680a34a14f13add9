"""Two players on one map see each other move and talk (PROTOCOL 5.1, 5.8 last row)."""
from __future__ import annotations

import time

import pytest

from protocol_expect import (EAST, MAPS, NORTH, SOUTH, STEP_PAUSE_S, WEST, chat_line, enter_new, moved,
                             spawn, step, sync)


@pytest.fixture
def pair(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=0)
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", profession_id=1, present=[alice])
    return alice, bob


def test_a_step_is_relayed_to_the_others_with_only_the_protocol_fields(pair):
    alice, bob = pair
    start = dict(alice.pos)
    step(alice, EAST, observers=[bob], junk=True)  # 115 without "junk", nothing back to the mover
    assert (alice.pos["x"], alice.pos["y"]) == (start["x"] + 1, start["y"])
    step(bob, SOUTH, observers=[alice])
    # the stored positions moved: the next steps start from the new tiles and are relayed as such
    step(alice, EAST, observers=[bob])
    step(bob, NORTH, observers=[alice])
    assert alice.client.drain() == [] and bob.client.drain() == []


def test_a_turn_with_speed_0_is_relayed_and_keeps_the_tile(pair):
    alice, bob = pair
    x, y = alice.pos["x"], alice.pos["y"]
    alice.client.send({"type": 6, "x": x, "y": y, "dir": WEST, "speed": 0})
    before = sync(alice, [bob])
    assert before[alice.pid] == []
    assert before[bob.pid] == [moved(alice.pid, x, y, WEST, 0)]
    alice.pos["dir"] = WEST
    step(alice, SOUTH, observers=[bob])  # still on (x, y): the step starts there


@pytest.mark.parametrize("offset", [(2, 3), (3, 0), (0, -2)], ids=["both-differ", "same-row", "same-column"])
def test_a_move_from_another_tile_bounces_the_mover_only(pair, offset):
    alice, bob = pair
    x, y = alice.pos["x"] + offset[0], alice.pos["y"] + offset[1]
    alice.client.send({"type": 6, "x": x, "y": y, "dir": EAST, "speed": 1})
    before = sync(alice, [bob])
    assert before[alice.pid] == [spawn(alice.pid, alice.record)], "the mover gets his own 110 at the stored tile"
    assert before[bob.pid] == [], "a rejected move is not relayed"
    time.sleep(STEP_PAUSE_S)
    step(alice, EAST, observers=[bob])  # the stored tile did not change


def test_walking_into_a_wall_bounces_the_mover_and_keeps_his_tile(pair):
    alice, bob = pair
    x, y = alice.pos["x"], alice.pos["y"]
    assert MAPS[0]["tiles"][x - 1][y]["type"] == 1, "the starter world has a wall west of the Warrior start"
    alice.client.send({"type": 6, "x": x, "y": y, "dir": WEST, "speed": 1})
    before = sync(alice, [bob])
    alice.pos["dir"] = WEST  # 5.1.2 step 4: the claimed facing is kept
    assert before[alice.pid] == [spawn(alice.pid, alice.record)]
    assert before[bob.pid] == [], "a rejected step is not relayed"
    time.sleep(STEP_PAUSE_S)  # a refused step still counts for the step-rate limit
    step(alice, EAST, observers=[bob])  # still on (x, y)


def test_map_chat_reaches_everyone_on_the_map_including_the_sender(pair):
    alice, bob = pair
    alice.client.send({"type": 5, "text": "hello there, Bob"})
    line = chat_line("Alice:hello there, Bob")
    assert alice.client.recv() == line
    assert bob.client.recv() == line
    bob.client.send({"type": 5, "text": "hi!"})
    assert bob.client.recv() == chat_line("Bob:hi!")
    assert alice.client.recv() == chat_line("Bob:hi!")
    assert alice.client.drain() == [] and bob.client.drain() == []
