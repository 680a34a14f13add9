"""The in-game editors (PROTOCOL 2.3) on a running cluster: durable saves and their broadcasts."""
from __future__ import annotations

import copy
import json
from pathlib import Path

STARTER = Path(__file__).resolve().parents[2] / "storage" / "starter_world"


def staff(cluster, client, email: str, name: str, level: int = 4, profession_id: int = 0) -> None:
    client.play(email, name, profession_id)
    assert cluster.cli("admin", "set-access", name, str(level)).returncode == 0
    client.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")


def test_a_map_saved_while_players_stand_on_it(cluster):
    alice, bob = cluster.client(), cluster.client()
    staff(cluster, alice, "alice@example.org", "Alice")
    bob.play("bob@example.org", "Bob", profession_id=1)
    alice.drain()
    record = json.loads((STARTER / "maps" / "0.json").read_text())
    record["name"] = "Town Square, rebuilt"
    alice.send({"type": 12, "map": record})
    expected_types = [106] + ([124] if record["music_id"] > -1 else []) + [110, 110, 113]
    for client in (alice, bob):
        got = client.recv_until(lambda p: p["type"] == 113)
        assert [p["type"] for p in got] == expected_types, got
        assert got[0] == {"type": 106, "map_id": 0, "map": record}
        assert {p["player_id"] for p in got if p["type"] == 110} == {alice.pid, bob.pid}
        assert all(npc["npc_id"] == -1 for npc in got[-1]["map_npcs"]) and len(got[-1]["map_npcs"]) == 20
    assert alice.recv_until(lambda p: p["type"] == 100)[-1]["win"] == "winGame"
    # durable: a newcomer gets the saved map, and so does the next owner after a failover
    carol = cluster.client()
    joined = carol.play("carol@example.org", "Carol", profession_id=2)
    assert next(p for p in joined if p["type"] == 106)["map"]["name"] == "Town Square, rebuilt"
    owner, _epoch = cluster.owner_of(0)
    cluster.kill(owner)
    bob.send({"type": 5, "text": "after"})
    again = bob.recv_until(lambda p: p["type"] == 114 and p["text"] == "Bob:after", timeout=10)
    maps = [p for p in again if p["type"] == 106]
    assert all(p["map"]["name"] == "Town Square, rebuilt" for p in maps)


def test_a_malformed_map_or_missing_access_changes_nothing(cluster):
    alice, bob = cluster.client(), cluster.client()
    staff(cluster, alice, "alice@example.org", "Alice")
    bob.play("bob@example.org", "Bob", profession_id=1)
    alice.drain()
    good = json.loads((STARTER / "maps" / "0.json").read_text())
    bad = copy.deepcopy(good)
    bad["tiles"] = bad["tiles"][:11]
    alice.send({"type": 12, "map": bad})
    refusal = alice.recv_until(lambda p: p["type"] == 114)[-1]
    assert refusal["color"] == "#ff0000"
    renamed = copy.deepcopy(good)
    renamed["name"] = "Bob was here"
    bob.send({"type": 12, "map": renamed})  # Bob has access 0; Alice (4) is on the map too
    bob.send({"type": 5, "text": "sync"})
    got = bob.recv_until(lambda p: p["type"] == 114 and p["text"] == "Bob:sync")
    assert not [p for p in got if p["type"] in (106, 100)]
    assert [p for p in alice.drain() if p["type"] == 106] == []


def test_resource_and_script_saves_reach_everyone_in_order(cluster):
    alice, bob = cluster.client(), cluster.client()
    staff(cluster, alice, "alice@example.org", "Alice")
    bob.play("bob@example.org", "Bob", profession_id=1)
    alice.drain()
    items = json.loads((STARTER / "items.json").read_text())
    new_item = dict(items[2], name="Greater Healing Potion")
    alice.send({"type": 13, "item_id": len(items), "item": new_item})  # append
    for client in (alice, bob):
        got = client.recv_until(lambda p: p["type"] == 103)
        assert got[-1] == {"type": 103, "item": new_item, "item_id": len(items)}
    shops = json.loads((STARTER / "shops.json").read_text())
    shop = dict(shops[0], join_say="Welcome back!")
    alice.send({"type": 15, "shop_id": 0, "shop": shop})
    got = alice.recv_until(lambda p: p["type"] == 105)
    assert [p["type"] for p in got[-2:]] == [100, 105] and got[-1]["shop"] == shop  # window first
    assert bob.recv_until(lambda p: p["type"] == 105)[-1] == {"type": 105, "shop": shop, "shop_id": 0}
    professions = json.loads((STARTER / "professions.json").read_text())
    profession = dict(professions[1], name="Ranger")
    alice.send({"type": 18, "profession_id": 1, "profession": profession})
    got = alice.recv_until(lambda p: p["type"] == 100)
    assert [p["type"] for p in got[-2:]] == [102, 100]  # everyone first, then the editor's window
    alice.send({"type": 26, "name": "greeting", "script": "def handleChat(playerID, text):\n    return 0\n"})
    assert alice.recv_until(lambda p: p["type"] == 100)[-1]["win"] == "winGame"
    alice.send({"type": 5, "text": "/editscript greeting"})
    got = alice.recv_until(lambda p: p["type"] == 100)
    assert got[-2] == {"type": 138, "name": "greeting",
                       "script": "def handleChat(playerID, text):\n    return 0\n"}
    assert got[-1]["win"] == "winScriptEditor"
    # a new login sees the saved lists
    replies = cluster.client().create_account("carol@example.org")
    assert next(p for p in replies if p["type"] == 102)["profession"][1]["name"] == "Ranger"
