"""The starter world's quests on a running cluster, through the websocket: a player talks
to the quest giver (type 22 clicks → the ``click`` script), collects or kills, hands in,
gets the exact reward packets, and his progress (flags and ``quest_log`` in the character
record) survives a relog and the maps of different workers.

Only in-game staff tools help: the hero is made an admin, spawns Wolf Pelts with
/spawnitem, walks through walls, calms the Old Forest's wolves and bandits and
weakens the Skeleton with the NPC editor (type 14) so it dies in one hit and hurts
no one, and saves the crypt with the map editor (type 12) so that no bats live there.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from harness import wait_for
from play import EAST, NORTH, SOUTH, STEPS, WEST, Hero, direction_to

STARTER = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
ITEMS = json.loads((STARTER / "items.json").read_text())
NPCS = json.loads((STARTER / "npcs.json").read_text())
STICK, GOLD, WOLF_PELT, IRON_SWORD = 0, 1, 15, 16
WOLF, BANDIT, SKELETON = 2, 3, 5
TOWN_SQUARE, MARKET_STREET, STORE, SMITHY, FOREST, CRYPT = 0, 1, 4, 5, 6, 8
GIVER_TILE = (5, 2)  # Tilda and Brannoc behind their counters
SPEECH = (1, "#d3d3d3")
QUEST = (0, "#ffff00")


def staff_hero(cluster, client, email: str) -> Hero:
    hero = Hero(client, client.play(email, "Hero", profession_id=0))
    assert cluster.cli("admin", "set-access", "Hero", "4").returncode == 0
    hero.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    return hero


def talk(hero: Hero, lines: int) -> list[dict]:
    """Click the quest giver; everything up to his ``lines``-th 114."""
    hero.send({"type": 22, "x": GIVER_TILE[0], "y": GIVER_TILE[1]})
    got = []
    for _ in range(lines):
        got += hero.recv_until(lambda p: p["type"] == 114)
    return got


def chat(packets: list[dict]) -> list[tuple[int, str, str]]:
    return [(p["channel_id"], p["color"], p["text"]) for p in packets if p["type"] == 114]


def pick_up(hero: Hero, spawn: str) -> dict:
    """/spawnitem on the hero's tile, then pick it up: the 119 of the slot it went to."""
    hero.say(spawn)
    hero.recv_until(lambda p: p["type"] == 112 and "slot_id" in p)
    hero.send({"type": 10})
    return hero.recv_until(lambda p: p["type"] == 119)[-1]


def relog(cluster, hero: Hero, email: str) -> tuple[Hero, dict]:
    """Log out, wait until the cluster saved him, log in and enter again: the hero and his 109."""
    hero.client.close()
    wait_for(lambda: cluster.status()["sessions"] == 0, timeout=10)
    client = cluster.client()
    assert client.login(email)[-1]["win"] == "winSelectPlayer"
    client.send({"type": 4, "slot_id": 0})
    joined = client.enter_world()
    return Hero(client, joined), next(p for p in joined if p["type"] == 109)["player"]


def to_the_smithy(hero: Hero) -> None:
    """Town Square → Market Street → Brannoc's Arms, to the counter."""
    hero.walk_to(11, hero.y)
    hero.step(EAST)
    hero.walk_to(2, 4)
    hero.warp_step(NORTH)  # the door of Brannoc's Arms
    assert hero.map_id == SMITHY
    hero.walk_to(5, 4)


def test_wolf_pelts_for_brannoc_accepted_collected_handed_in_and_kept_over_relogs(cluster):
    email = "hunter@example.org"
    hero = staff_hero(cluster, cluster.client(), email)
    to_the_smithy(hero)
    gift = talk(hero, 1)
    assert [(p["slot_id"], p["inv"]) for p in gift if p["type"] == 119] == \
        [(6, {"item_id": STICK, "amount": 1, "uses": ITEMS[STICK]["uses"]})]
    accepted = chat(talk(hero, 2))
    assert [line[:2] for line in accepted] == [SPEECH, QUEST]
    assert accepted[0][2].startswith("Brannoc the Smith says, '") and "3 Wolf Pelts" in accepted[0][2]
    assert accepted[1][2] == "Quest accepted: Wolf pelts for Brannoc."

    slot = pick_up(hero, f"/spawnitem {WOLF_PELT} 1 2")
    assert slot["slot_id"] == 7 and slot["inv"] == {"item_id": WOLF_PELT, "amount": 2, "uses": 1}
    assert "You have 2 of 3 Wolf Pelts." in chat(talk(hero, 1))[0][2]

    hero, record = relog(cluster, hero, email)
    assert (hero.map_id, hero.x, hero.y) == (SMITHY, 5, 4)
    assert record["data"]["quest0"] == 0 and record["quest_log"][0] is False
    assert "You have 2 of 3 Wolf Pelts." in chat(talk(hero, 1))[0][2], "still in progress after the relog"

    assert pick_up(hero, f"/spawnitem {WOLF_PELT} 1 1")["inv"]["amount"] == 3
    hero.send({"type": 22, "x": GIVER_TILE[0], "y": GIVER_TILE[1]})
    reward = hero.recv_until(lambda p: p["type"] == 114 and p["text"].startswith("Quest complete"))
    assert reward[-5:-2] == [
        {"type": 119, "player_id": hero.pid, "slot_id": 7, "inv": {"item_id": -1, "amount": 0, "uses": 0}},
        {"type": 119, "player_id": hero.pid, "slot_id": 7,
         "inv": {"item_id": IRON_SWORD, "amount": 1, "uses": ITEMS[IRON_SWORD]["uses"]}},
        {"type": 137, "player_id": hero.pid, "exp": 300},
    ]
    assert [line[:2] for line in chat(reward[-2:])] == [SPEECH, QUEST]
    assert chat(reward[-1:])[0][2] == "Quest complete: Wolf pelts for Brannoc (+300 exp)."

    hero, record = relog(cluster, hero, email)
    assert record["quest_log"][0] is True and record["data"]["quest0"] is None and record["exp"] == 300
    assert record["inv"][7] == {"item_id": IRON_SWORD, "amount": 1, "uses": ITEMS[IRON_SWORD]["uses"]}
    done = chat(talk(hero, 1))
    assert done[0][:2] == SPEECH and "treating you well" in done[0][2]


# --- Clear the crypt ------------------------------------------------------------------------------

def edit_npc(hero: Hero, npc_id: int, **changes) -> None:
    npc = dict(NPCS[npc_id], **changes)
    hero.send({"type": 14, "npc_id": npc_id, "npc": npc})
    assert hero.recv_until(lambda p: p["type"] == 104)[-1] == {"type": 104, "npc": npc, "npc_id": npc_id}


def safe_way_to_weak_skeletons(hero: Hero) -> None:
    """The forest's monsters become peaceful (behavior 0: they notice no one); one hit kills a
    Skeleton, which does not hurt and takes a minute to come back."""
    edit_npc(hero, WOLF, behavior=0)
    edit_npc(hero, BANDIT, behavior=0)
    edit_npc(hero, SKELETON, vitals={"hp": 1, "mp": 0, "sp": 0}, spawn_delay=60,
             stats=dict(NPCS[SKELETON]["stats"], str=0, **{"def": 0}))


def into_the_crypt(hero: Hero) -> None:
    """Town Square → Market Street → the Old Forest → the crypt."""
    hero.walk_to(11, hero.y)
    hero.step(EAST)
    hero.walk_to(0, 11)
    hero.step(SOUTH)
    assert hero.map_id == FOREST
    hero.walk_to(8, 6)
    hero.warp_step(SOUTH)  # the crypt stairs behind the locked door
    assert hero.map_id == CRYPT


def skeletons(packets: list[dict]) -> dict[int, tuple[int, int] | None]:
    """Crypt NPC slot → the tile where the packets last put its Skeleton (None once it died).

    A full 113 starts afresh: after it only its Skeletons and those spawned later count."""
    where: dict[int, tuple[int, int] | None] = {}
    for packet in packets:
        if packet.get("map_id") is None or int(packet["map_id"]) != CRYPT:
            continue
        if packet["type"] == 113 and "slot_id" not in packet:
            where = {slot: (npc["pos"]["x"], npc["pos"]["y"]) for slot, npc in enumerate(packet["map_npcs"])
                     if npc["npc_id"] == SKELETON}  # a full list (join, map save) starts afresh
        elif packet["type"] == 113:
            npc = packet["map_npcs"]
            if npc["npc_id"] == SKELETON:
                where[packet["slot_id"]] = (npc["pos"]["x"], npc["pos"]["y"])
            elif packet["slot_id"] in where:
                where[packet["slot_id"]] = None
        elif packet["type"] == 118 and packet["slot_id"] in where and packet["speed"]:
            dx, dy = STEPS[packet["dir"]]
            where[packet["slot_id"]] = (packet["x"] + dx, packet["y"] + dy)
    return where


CRYPT_WARPS = {(0, 10), (4, 10), (10, 1)}
CRYPT_ROW = 3  # a row of the crypt with no warp on it: walk along it


def crypt_walk(hero: Hero, x: int, y: int) -> None:
    """To (x, y) of the crypt without stepping on a warp (staff walk through walls)."""
    hero.walk_to(hero.x, CRYPT_ROW)
    hero.walk_to(x, CRYPT_ROW)
    hero.walk_to(x, y)


def slay(hero: Hero, since: int, slot: int) -> None:
    """Walk next to the Skeleton of ``slot``, face it and hit it until it dies."""
    deadline = time.monotonic() + 30
    while skeletons(hero.seen[since:])[slot] is not None:
        assert time.monotonic() < deadline, "the Skeleton did not die"
        x, y = skeletons(hero.seen[since:])[slot]
        beside = next(tile for tile in ((x, y - 1), (x, y + 1), (x - 1, y), (x + 1, y))
                      if tile not in CRYPT_WARPS and 0 < tile[0] < 11 and 0 < tile[1] < 11)
        crypt_walk(hero, *beside)
        hero.face(direction_to(beside, (x, y)))
        hero.send({"type": 7, "target_id": slot, "target_type": 2, "speed": 1000, "attacking": True})
        listen(hero, 0.9)  # the attack script allows one attack every 800 ms


def listen(hero: Hero, seconds: float) -> None:
    """Take in what arrives for ``seconds`` (a drain would wait for a quiet moment that a busy map never has)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            hero.absorb([hero.client.recv(left)])
        except TimeoutError:
            return


def out_of_the_crypt_to_the_store(hero: Hero) -> None:
    crypt_walk(hero, 1, 10)
    hero.warp_step(WEST)  # back up into the Old Forest, at (8, 9)
    assert hero.map_id == FOREST
    hero.walk_to(10, 0)  # around the stairs (8, 7), not over them
    hero.step(NORTH)
    assert hero.map_id == MARKET_STREET
    hero.walk_to(0, hero.y)
    hero.step(WEST)
    assert hero.map_id == TOWN_SQUARE
    to_the_store(hero)


def to_the_store(hero: Hero) -> None:
    hero.walk_to(9, 4)
    hero.warp_step(NORTH)  # the door of Tilda's General Store
    assert hero.map_id == STORE
    hero.walk_to(5, 4)


def test_clear_the_crypt_counted_in_the_crypt_and_paid_in_the_store(cluster):
    hero = staff_hero(cluster, cluster.client(), "delver@example.org")
    safe_way_to_weak_skeletons(hero)
    to_the_store(hero)
    accepted = chat(talk(hero, 2))
    assert accepted[0][2].startswith("Tilda the Merchant says, '") and "2 Skeletons" in accepted[0][2]
    assert accepted[1] == (*QUEST, "Quest accepted: Clear the crypt.")
    hero.walk_to(5, 10)
    hero.warp_step(SOUTH)
    assert hero.map_id == TOWN_SQUARE

    into_the_crypt(hero)
    crypt = json.loads((STARTER / "maps" / f"{CRYPT}.json").read_text())
    crypt["spawn_npc_ids"] = [-1] * 20  # no bats
    hero.send({"type": 12, "map": crypt})  # the saved map respawns its Skeletons with the edited record
    hero.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    since = hero.mark()  # the map's NPCs were cleared (113 full) before the 100
    wait_for(lambda: len(skeletons(hero.seen[since:] + hero.drain(0.2))) == 2, timeout=10)
    assert all(hero.expect(lambda p: p["type"] == 113 and p.get("slot_id") == slot, since)["map_npcs"]
               ["vitals"]["hp"] == 1 for slot in skeletons(hero.seen[since:]))
    counted = []
    for slot in sorted(skeletons(hero.seen[since:])):
        mark = hero.mark()
        slay(hero, since, slot)
        counted.append(hero.expect(lambda p: p["type"] == 114 and p["text"].startswith("Clear the crypt:"), mark))
    assert [p["text"] for p in counted] == ["Clear the crypt: 1 of 2 Skeletons defeated.",
                                            "Clear the crypt: 2 of 2 Skeletons defeated. Return to Tilda for your pay."]
    assert all((p["channel_id"], p["color"]) == QUEST for p in counted)
    kills = [p for p in hero.seen[since:] if p["type"] == 137]
    assert [p["exp"] for p in kills] == [150, 300], "each Skeleton's fixed exp (spd -150), all his"

    out_of_the_crypt_to_the_store(hero)
    hero.send({"type": 22, "x": GIVER_TILE[0], "y": GIVER_TILE[1]})
    reward = hero.recv_until(lambda p: p["type"] == 114 and p["text"].startswith("Quest complete"))
    assert reward[-4:-2] == [
        {"type": 119, "player_id": hero.pid, "slot_id": 6, "inv": {"item_id": GOLD, "amount": 100, "uses": 0}},
        {"type": 137, "player_id": hero.pid, "exp": 300 + 500},
    ]
    assert chat(reward[-1:])[0] == (*QUEST, "Quest complete: Clear the crypt (+100 gold, +500 exp).")
