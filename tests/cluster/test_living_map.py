"""The living map on a running cluster (PROTOCOL 5.3 to 5.7, 6): a player of the starter world
fights and kills an NPC, levels up, picks up the drop, sells it in the shop and repairs his weapon.

Only the starter world and in-game staff tools are used: the hero is made an
admin (``odyssey admin set-access``), edits the Rat with the NPC editor so it
dies in one hit, gives enough exp for a level and always drops a Short Sword,
and saves Green Fields with the map editor so that one Rat lives there. The
fight itself runs on the default scripts of the starter world.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

from play import EAST, NORTH, SOUTH, STEPS, Hero, direction_to

STARTER = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
ITEMS = json.loads((STARTER / "items.json").read_text())
NPCS = json.loads((STARTER / "npcs.json").read_text())
GOLD, SHORT_SWORD = 1, 4
RAT = 0
FIELDS, SHOP_OF_BRANNOC = 2, 5


def npc_tile(packets: list[dict], slot: int, map_id: int) -> tuple[int, int] | None:
    """Where the packets last put the NPC of ``slot``: 113 places it, 118 moves or turns it."""
    tile = None
    for packet in packets:
        if packet.get("map_id") is None or int(packet["map_id"]) != map_id:
            continue
        if packet["type"] == 113 and packet.get("slot_id") == slot:
            npc = packet["map_npcs"]
            tile = (npc["pos"]["x"], npc["pos"]["y"]) if npc["npc_id"] > -1 else None
        elif packet["type"] == 118 and packet["slot_id"] == slot:
            dx, dy = STEPS[packet["dir"]] if packet["speed"] else (0, 0)
            tile = (packet["x"] + dx, packet["y"] + dy)
    return tile


def adjacent(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1


def arm(hero: Hero, cluster) -> None:
    """Make the hero staff, give him gold and a worn Short Sword, and equip it."""
    assert cluster.cli("admin", "set-access", "Hero", "4").returncode == 0
    hero.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    for spawn, slot in (("/spawnitem 1 0 500", 6), ("/spawnitem 4 40 1", 7)):
        hero.say(spawn)
        hero.recv_until(lambda p: p["type"] == 112 and "slot_id" in p)
        hero.send({"type": 10})
        got = hero.recv_until(lambda p: p["type"] == 119)
        assert [p["type"] for p in got[-2:]] == [112, 119] and got[-2]["map_items"]["item_id"] == -1
        assert got[-1]["slot_id"] == slot
    assert hero.inventory[6] == {"item_id": GOLD, "amount": 500, "uses": 0}
    hero.send({"type": 9, "slot_id": 7})
    got = hero.recv_until(lambda p: p["type"] == 119 and p["slot_id"] == 0)
    assert [(p["slot_id"], p["inv"]["item_id"]) for p in got if p["type"] == 119] == [(7, -1), (0, SHORT_SWORD)]
    assert hero.inventory[0] == {"item_id": SHORT_SWORD, "amount": 1, "uses": 40}


def make_the_rat_a_quest(hero: Hero) -> dict:
    rat = dict(NPCS[RAT], vitals={"hp": 1, "mp": 0, "sp": 0},
               stats=dict(NPCS[RAT]["stats"], spd=-1000),  # a fixed reward of 1000 exp: one level
               drop_items=[{"item_id": SHORT_SWORD, "chance": 100, "amount": 1}])
    hero.send({"type": 14, "npc_id": RAT, "npc": rat})
    assert hero.recv_until(lambda p: p["type"] == 104)[-1] == {"type": 104, "npc": rat, "npc_id": RAT}
    return rat


def one_rat_on_the_fields(hero: Hero) -> None:
    record = json.loads((STARTER / "maps" / f"{FIELDS}.json").read_text())
    record["spawn_npc_ids"] = [RAT] + [-1] * 19
    hero.send({"type": 12, "map": record})
    hero.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")


def fight(hero: Hero, since: int) -> int:
    """Wait for the provoked Rat to come next to the hero, face it and attack until it dies."""
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, "the Rat never came next to the hero"
        hero.drain(0.1)
        rat = npc_tile(hero.seen[since:], 0, FIELDS)
        if rat is not None and adjacent((hero.x, hero.y), rat):
            break
    hero.face(direction_to((hero.x, hero.y), rat))
    for _attempt in range(40):
        mark = hero.mark()
        hero.send({"type": 7, "target_id": 0, "target_type": 2, "speed": 1000, "attacking": True})
        hero.drain(0.3)
        if any(p["type"] == 113 and p.get("slot_id") == 0 and p["map_npcs"]["npc_id"] == -1
               for p in hero.seen[mark:]):
            return mark
    raise AssertionError("the Rat did not die in 40 attacks")


def test_kill_level_up_loot_sell_and_repair(cluster):
    client = cluster.client()
    hero = Hero(client, client.play("hero@example.org", "Hero", profession_id=0))
    arm(hero, cluster)
    rat = make_the_rat_a_quest(hero)
    hero.walk_to(5, 11)
    hero.step(SOUTH)
    assert hero.map_id == FIELDS and (hero.x, hero.y) == (5, 0)
    one_rat_on_the_fields(hero)
    since = hero.mark()
    spawn = hero.expect(lambda p: p["type"] == 113 and p.get("slot_id") == 0 and p["map_npcs"]["npc_id"] == RAT,
                        since, timeout=5)
    assert spawn["map_npcs"]["vitals"] == rat["vitals"]
    hero.say("/provoke 5")

    kill_mark = fight(hero, since)
    hero.expect(lambda p: p["type"] == 114 and p["color"] == "#a0522d" and "Hero" in p["text"], kill_mark)
    after = [p for p in hero.seen[kill_mark:] if p["type"] in (137, 113, 123, 112, 109)
             or (p["type"] == 114 and p["channel_id"] == 0 and p["color"] in ("#ffff00", "#a0522d"))]
    after = after[next(i for i, p in enumerate(after) if p["type"] == 137):]  # from the kill's reward on
    kinds = [p["type"] for p in after]
    assert kinds[:6] == [137, 114, 113, 123, 112, 137] and 109 in kinds[6:], kinds
    assert after[0] == {"type": 137, "player_id": hero.pid, "exp": 1000}
    assert after[3] == {"type": 123, "sound_id": 2}
    drop = after[4]["map_items"]
    assert (drop["item_id"], drop["amount"], drop["uses"]) == (SHORT_SWORD, 1, ITEMS[SHORT_SWORD]["uses"])
    assert after[5] == {"type": 137, "player_id": hero.pid, "exp": 0}  # 1000 - 1000 for level 1
    reload = next(p for p in after if p["type"] == 109)["player"]
    assert (reload["level"], reload["train_points"], reload["data"]) == (2, 2, [])
    worn = hero.inventory[0]["uses"]
    assert worn < 40, "a hit wears the weapon (default attack script)"

    hero.walk_to(drop["x"], drop["y"])
    hero.send({"type": 10})
    got = hero.recv_until(lambda p: p["type"] == 119)
    assert got[-2]["type"] == 112 and got[-2]["map_items"]["item_id"] == -1
    assert got[-1]["inv"] == {"item_id": SHORT_SWORD, "amount": 1, "uses": 100}
    loot_slot = got[-1]["slot_id"]

    hero.walk_to(hero.x, 0)
    hero.step(NORTH)  # Town Square
    hero.walk_to(11, 11)
    hero.step(EAST)  # Market Street
    hero.walk_to(0, 3)
    hero.walk_to(1, 3)
    greeting = hero.warp_step(EAST)  # the door of Brannoc's Arms
    assert hero.map_id == SHOP_OF_BRANNOC
    assert any(p["type"] == 114 and p["channel_id"] == 1 and p["text"].startswith("Brannoc says")
               for p in greeting)

    sword = ITEMS[SHORT_SWORD]
    value = math.floor(sword["repair_cost"] / sword["uses"] * 100)
    hero.send({"type": 31, "slot_id": loot_slot})
    got = hero.recv_until(lambda p: p["type"] == 100)
    assert [p["type"] for p in got[-3:]] == [119, 119, 100] and got[-1]["win"] == "winRecycle"
    assert got[-3]["slot_id"] == 6 and got[-3]["inv"] == {"item_id": GOLD, "amount": 500 + value, "uses": 0}
    assert got[-2]["slot_id"] == loot_slot and got[-2]["inv"]["item_id"] == -1

    price = math.floor(sword["repair_cost"] / sword["uses"] * (sword["uses"] - worn))
    hero.send({"type": 24, "slot_id": 0})
    got = hero.recv_until(lambda p: p["type"] == 100)
    assert [p["type"] for p in got[-3:]] == [119, 119, 100] and got[-1]["win"] == "winRepair"
    assert got[-3]["inv"] == {"item_id": GOLD, "amount": 500 + value - price, "uses": 0}
    assert got[-2]["slot_id"] == 0 and got[-2]["inv"] == {"item_id": SHORT_SWORD, "amount": 1, "uses": 100}
