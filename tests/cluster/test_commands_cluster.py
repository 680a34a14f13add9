"""Chat commands that cross maps and workers (PROTOCOL 5.8), and a door that closes on time."""
from __future__ import annotations

import json
import time
from pathlib import Path

from harness import ClusterHarness, GameClient

STEP_PAUSE_S = 0.15  # longer than the minimum step interval


def chat_lines(packets: list[dict]) -> list[tuple[str, str]]:
    return [(p["color"], p["text"]) for p in packets if p["type"] == 114]


def walk_east_to_map_1(client: GameClient, x: int, y: int) -> None:
    """From (x, y) on map 0, walk east over the edge onto map 1."""
    while True:
        client.send({"type": 6, "x": x, "y": y, "dir": 2, "speed": 1})
        time.sleep(STEP_PAUSE_S)
        if x == 11:
            break
        x += 1
    client.recv_until(lambda p: p["type"] == 106 and p["map_id"] == 1)
    client.recv_until(lambda p: p["type"] == 115 and p["player_id"] == client.pid)


def two_workers_two_players(cluster: ClusterHarness) -> tuple[GameClient, GameClient]:
    """Alice on map 0, Bob on map 1, and the two maps on different workers."""
    alice, bob = cluster.client(), cluster.client()
    alice.play("alice@example.org", "Alice")
    bob.play("bob@example.org", "Bob", profession_id=1)  # starts at (6, 5)
    walk_east_to_map_1(bob, 6, 5)
    owners = {cluster.owner_of(0)[0], cluster.owner_of(1)[0]}
    assert len(owners) == 2, "maps 0 and 1 should be on different workers"
    alice.drain()
    bob.drain()
    return alice, bob


def test_whisper_global_chat_and_who_reach_the_other_worker(cluster):
    alice, bob = two_workers_two_players(cluster)
    alice.send({"type": 5, "text": "@bob meet me at the inn"})
    assert ("#00ff00", "Alice >> meet me at the inn") in chat_lines(bob.recv_until(lambda p: p["type"] == 114))
    assert ("#00ff00", ">>Bob: meet me at the inn") in chat_lines(alice.recv_until(lambda p: p["type"] == 114))
    alice.send({"type": 5, "text": "@nobody hello"})
    got = alice.recv_until(lambda p: p["type"] == 114)
    assert got[-1]["color"] == "#ff0000" and "nobody" in got[-1]["text"]
    bob.send({"type": 5, "text": "'hello everyone"})
    for client in (alice, bob):
        line = client.recv_until(lambda p: p["type"] == 114)[-1]
        assert (line["channel_id"], line["color"], line["text"]) == (0, "#ff00ff", "Bob:hello everyone")
    alice.send({"type": 5, "text": "/who"})
    first = alice.recv_until(lambda p: p["type"] == 114)[-1]
    assert first["color"] == "#ffff00" and first["text"] == "2 players Online: Alice [lv 1], Bob [lv 1]"
    professions = json.loads((Path(__file__).resolve().parents[2] / "storage" / "starter_world"
                              / "professions.json").read_text())
    lines = [alice.recv()["text"] for _ in range(2)]
    assert lines == [f"{professions[0]['name']}s: Alice", f"{professions[1]['name']}s: Bob"]
    assert bob.drain() == [], "/who answers the sender only"


def test_plain_text_with_a_command_inside_is_chat(cluster):
    alice, bob = cluster.client(), cluster.client()
    alice.play("alice@example.org", "Alice")
    bob.play("bob@example.org", "Bob", profession_id=1)
    alice.drain()
    alice.send({"type": 5, "text": "hello /warpto Bob"})
    got = bob.recv_until(lambda p: p["type"] == 114)
    assert got[-1]["text"] == "Alice:hello /warpto Bob"


def test_warpto_and_setaccess_across_workers(cluster):
    alice, bob = two_workers_two_players(cluster)
    assert cluster.cli("admin", "set-access", "Alice", "4").returncode == 0
    alice.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    alice.send({"type": 5, "text": "/warpto bob"})
    got = alice.recv_until(lambda p: p["type"] == 106)
    assert got[-1]["map_id"] == 1
    joined = alice.recv_until(lambda p: p["type"] == 110 and p["player_id"] == alice.pid)
    assert joined[-1]["pos"]["map_id"] == 1
    # /setaccess is capped at the sender's level and reaches the target on any map
    alice.send({"type": 5, "text": "/setaccess Bob 9"})
    assert alice.recv_until(lambda p: p["type"] == 114)[-1]["color"] == "#ff0000"
    alice.send({"type": 5, "text": "/setaccess Bob 2"})
    reload = bob.recv_until(lambda p: p["type"] == 109)
    assert reload[-1]["player"]["access"] == 2
    assert bob.recv()["win"] == "winGame"
    confirm = alice.recv_until(lambda p: p["type"] == 114 and p["color"] == "#0000ff")
    assert "Bob" in confirm[-1]["text"] and "2" in confirm[-1]["text"]


def test_left_notice_reaches_the_other_worker(cluster):
    alice, bob = two_workers_two_players(cluster)
    bob.close()
    got = alice.recv_until(lambda p: p["type"] == 114)
    assert (got[-1]["channel_id"], got[-1]["color"], got[-1]["text"]) == (0, "#696969", "Bob has left the game!")
    assert not [p for p in got if p["type"] == 111], "Bob was on another map: no 111 on map 0"


def test_a_door_closes_on_time_with_nobody_moving(cluster, tmp_path):
    """A trigger with a 1 s cooldown: the broker's pokes close the door with no packet from anyone."""
    world = tmp_path / "world"
    assert cluster.cli("world", "export", str(world)).returncode == 0
    map_file = world / "maps" / "0.json"
    record = json.loads(map_file.read_text())
    record["tiles"][5][4] = {"layers": [1] + [-1] * 9, "type": 10, "data": {"x": 0, "y": 0, "cooldown": 1}}
    map_file.write_text(json.dumps(record))
    assert cluster.cli("world", "import", str(world)).returncode == 0
    alice = cluster.client()
    alice.play("alice@example.org", "Alice")  # at (5, 5); the trigger is north of her
    alice.send({"type": 6, "x": 5, "y": 5, "dir": 3, "speed": 1})
    opened = alice.recv_until(lambda p: p["type"] == 122)[-1]
    opened_at = time.monotonic()
    assert {"x": 0, "y": 0} in opened["map_doors"] and opened["map_id"] == 0
    closed = alice.recv_until(lambda p: p["type"] == 122, timeout=5)[-1]
    waited = time.monotonic() - opened_at
    assert all(door == {"x": -1, "y": -1} for door in closed["map_doors"])
    assert 0.8 <= waited <= 3.0, f"the door closed after {waited:.2f} s, not about 1 s"


def test_hack_report_disconnects_a_player_and_tells_everyone(cluster):
    alice, bob = two_workers_two_players(cluster)
    bob.send({"type": 32})
    assert bob.is_closed(3.0)
    got = alice.recv_until(lambda p: p["type"] == 114 and "hacking" in p["text"])
    assert (got[-1]["channel_id"], got[-1]["color"]) == (0, "#696969") and "Bob" in got[-1]["text"]
    alice.recv_until(lambda p: p["type"] == 114 and p["text"] == "Bob has left the game!")
    # staff reporting themselves are not disconnected
    assert cluster.cli("admin", "set-access", "Alice", "1").returncode == 0
    alice.recv_until(lambda p: p["type"] == 100)
    alice.send({"type": 32})
    assert not alice.is_closed(1.0)


def test_copymap_fetches_a_map_from_storage_for_the_sender_only(cluster):
    alice, bob = cluster.client(), cluster.client()
    alice.play("alice@example.org", "Alice")
    bob.play("bob@example.org", "Bob", profession_id=1)
    assert cluster.cli("admin", "set-access", "Alice", "1").returncode == 0
    alice.recv_until(lambda p: p["type"] == 100)
    bob.drain()
    alice.send({"type": 5, "text": "/copymap 8"})
    got = alice.recv_until(lambda p: p["type"] == 114)
    crypt = json.loads((Path(__file__).resolve().parents[2] / "storage" / "starter_world" / "maps"
                        / "8.json").read_text())
    assert got[0] == {"type": 106, "map_id": 0, "map": crypt}
    assert {p["player_id"] for p in got if p["type"] == 110} == {alice.pid, bob.pid}
    assert got[-1]["color"] == "#ff0000"
    assert bob.drain() == []
