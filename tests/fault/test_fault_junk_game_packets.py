"""Junk in every field of every game packet (types 5 to 32) never crashes a map worker
(PROTOCOL 8.13, 8.15 to 8.20): the sender stays connected, nothing is broadcast from junk,
and the map goes on serving him and the others."""
from __future__ import annotations

import itertools

from play import Hero

JUNK = [None, "", "x" * 300, -1, -(2 ** 40), 2 ** 63, 30, 200, 1.5, float("-0"), True, [], {}, [1, 2], {"a": 1}]
FIELDS = ["x", "y", "dir", "speed", "slot_id", "amount", "target_id", "target_type", "attacking", "stat_id",
          "text", "settings", "name", "script"]
GAME_TYPES = [6, 7, 8, 9, 10, 11, 20, 22, 24, 31]


def junk_packets():
    """Every game type with each field set to each junk value, plus all fields junk at once."""
    for packet_type in GAME_TYPES:
        yield {"type": packet_type}
        for field, value in itertools.product(FIELDS, JUNK):
            yield {"type": packet_type, field: value}
        for value in JUNK:
            yield {"type": packet_type, **{field: value for field in FIELDS}}


FAST_CLIENTS = """
[edge]
packets_per_second = 5000
burst = 5000
"""


def test_junk_in_every_game_packet_is_ignored_and_play_goes_on(cluster_factory):
    cluster = cluster_factory(extra_config=FAST_CLIENTS)
    client, other = cluster.client(), cluster.client()
    hero = Hero(client, client.play("junk@example.org", "Junk", profession_id=0))
    other.play("witness@example.org", "Witness", profession_id=1)
    other.drain()
    owner, _epoch = cluster.owner_of(hero.map_id)
    sent = 0
    for packet in junk_packets():
        client.send(packet)
        sent += 1
        if sent % 200 == 0:
            hero.say(f"alive {sent}")
            hero.recv_until(lambda p: p["type"] == 114 and p["text"] == f"Junk:alive {sent}", timeout=5)
    hero.say("still here")
    hero.recv_until(lambda p: p["type"] == 114 and p["text"] == "Junk:still here", timeout=5)
    heard = other.recv_until(lambda p: p["type"] == 114 and p["text"] == "Junk:still here", timeout=5)
    assert {p["type"] for p in heard} <= {114, 115, 110, 112, 120, 122, 123}, {p["type"] for p in heard}
    assert cluster.processes[owner].poll() is None, "the map worker died"
    assert cluster.owner_of(hero.map_id)[0] == owner, "the map never changed hands"
    assert "Traceback" not in cluster.logs[owner].read_text()
