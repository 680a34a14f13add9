"""An idle map stops being poked, is released, and continues from its checkpoint (PROTOCOL 5.9)."""
from __future__ import annotations

import time

from play import NORTH, SOUTH, Hero

FIELDS = 2
QUICK_RELEASE = """
[lease]
duration_ms = 750
idle_release_ms = 1000
"""


def last_npc_tiles(packets: list[dict]) -> dict[int, tuple[int, int, int]]:
    """slot → (npc_id, x, y) as the packets of Green Fields last showed them."""
    tiles: dict[int, tuple[int, int, int]] = {}
    steps = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}
    for packet in packets:
        if packet.get("map_id") is None or int(packet["map_id"]) != FIELDS:
            continue
        if packet["type"] == 113:
            slots = packet["map_npcs"] if "slot_id" not in packet else None
            for slot, npc in (enumerate(slots) if slots is not None else [(packet["slot_id"], packet["map_npcs"])]):
                if npc["npc_id"] > -1:
                    tiles[slot] = (npc["npc_id"], npc["pos"]["x"], npc["pos"]["y"])
                else:
                    tiles.pop(slot, None)
        elif packet["type"] == 118 and packet["slot_id"] in tiles:
            dx, dy = steps[packet["dir"]] if packet["speed"] else (0, 0)
            tiles[packet["slot_id"]] = (tiles[packet["slot_id"]][0], packet["x"] + dx, packet["y"] + dy)
    return tiles


def test_an_empty_map_is_released_and_its_npcs_wait_where_they_were(cluster_factory):
    cluster = cluster_factory(extra_config=QUICK_RELEASE)
    client = cluster.client()
    hero = Hero(client, client.play("visitor@example.org", "Visitor", profession_id=0))
    hero.walk_to(5, 11)
    hero.step(SOUTH)
    visit = hero.mark()
    hero.recv_until(lambda p: p["type"] == 118 and p["speed"] > 0, timeout=10)
    time.sleep(1.0)
    hero.drain(0.05)
    hero.step(NORTH)  # back to Town Square: nobody on Green Fields
    left_behind = last_npc_tiles(hero.seen[visit:])
    assert len(left_behind) == 5

    deadline = time.monotonic() + 10
    while cluster.owner_of(FIELDS) is not None:
        assert time.monotonic() < deadline, "the idle map was never released"
        time.sleep(0.2)

    back = hero.mark()
    hero.step(SOUTH)
    joined = [p for p in hero.seen[back:] if p["type"] == 113 and "slot_id" not in p]
    assert joined, "the join sends the NPC slots"
    assert last_npc_tiles(joined[:1]) == left_behind, "the NPCs continue from the checkpoint"
