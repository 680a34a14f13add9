"""Moderation on a real cluster: staff commands and ``odyssey admin`` verbs across two workers,
bans that kick and outlive a restart, mutes on every chat route, and the access checks."""
from __future__ import annotations

from harness import ClusterHarness, GameClient, wait_for
from test_commands_cluster import two_workers_two_players

BLUE, RED, YELLOW, GREY = "#0000ff", "#ff0000", "#ffff00", "#696969"


def chat(client: GameClient) -> tuple[str, str]:
    """(color, text) of the next 114 the client gets."""
    line = client.recv_until(lambda p: p["type"] == 114)[-1]
    return line["color"], line["text"]


def heard(client: GameClient) -> list[tuple[str, str]]:
    return [(p["color"], p["text"]) for p in client.drain() if p["type"] == 114]


def make_staff(cluster: ClusterHarness, client: GameClient, name: str, level: int) -> None:
    assert cluster.cli("admin", "set-access", name, str(level)).returncode == 0
    client.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")


def login_refusal(cluster: ClusterHarness, email: str) -> dict:
    got = cluster.client().login(email)
    assert [p["type"] for p in got] == [100], got
    assert got[0]["win"] == "winLogin"
    return got[0]


def test_a_ban_kicks_him_from_the_other_worker_and_refuses_his_login(cluster):
    alice, bob = two_workers_two_players(cluster)  # Alice on map 0, Bob on map 1: two workers
    make_staff(cluster, alice, "Alice", 2)
    alice.send({"type": 5, "text": "/ban bob 2h spamming the market"})
    kicked = bob.recv_until(lambda p: p["type"] == 100)[-1]
    assert kicked["win"] == "winLogin"
    assert kicked["message"].startswith("This account is banned until ")
    assert kicked["message"].endswith(" (in 2h): spamming the market") or \
        kicked["message"].endswith(" (in 1h 59m): spamming the market")
    assert bob.is_closed()
    color, text = chat(alice)
    assert color == BLUE and text.startswith("Bob is banned until ") and text.endswith(" and was kicked.")
    assert chat(alice) == (GREY, "Bob has left the game!")  # he left as on any logout: saved
    refusal = login_refusal(cluster, "bob@example.org")
    assert refusal["message"].split(" (in ")[0] == kicked["message"].split(" (in ")[0]
    assert refusal["message"].endswith("): spamming the market")
    # lifted: he comes back where the kick left him (map 1), so he was saved cleanly
    alice.send({"type": 5, "text": "/unban Bob"})
    assert chat(alice) == (BLUE, "Bob is no longer banned.")
    got = cluster.client().login("bob@example.org")
    account = next(p for p in got if p["type"] == 101)
    assert account["account"]["players"][0]["pos"]["map_id"] == 1 and got[-1]["win"] == "winSelectPlayer"


def test_odyssey_admin_ban_bans_and_unban_and_a_ban_outlives_a_restart(cluster_factory):
    first = cluster_factory()
    carol = first.client()
    carol.play("carol@example.org", "Carol")
    result = first.cli("admin", "ban", "carol", "7d", "cheating", "at", "cards")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Carol is banned until ") and "and was kicked." in result.stdout
    assert carol.recv_until(lambda p: p["type"] == 100)[-1]["message"].endswith("): cheating at cards")
    assert carol.is_closed()
    listed = first.cli("admin", "bans")
    assert listed.returncode == 0 and listed.stdout.startswith("1 bans, 0 mutes")
    row = listed.stdout.splitlines()[1].split()
    assert row[:4] == ["ban", "Carol", "until", row[3]] and "by operator" in listed.stdout
    assert listed.stdout.rstrip().endswith(": cheating at cards")
    wait_for(lambda: first.status()["sessions"] == 0, timeout=5)
    first.stop_all()

    second = cluster_factory(root=first.root)
    refusal = login_refusal(second, "carol@example.org")
    assert refusal["message"].startswith("This account is banned until ")
    assert refusal["message"].endswith("): cheating at cards")
    assert second.cli("admin", "unban", "Carol").stdout.strip() == "Carol is no longer banned."
    again = second.cli("admin", "unban", "Carol")
    assert again.returncode == 1 and "Carol is not banned." in again.stderr
    assert second.cli("admin", "bans").stdout.strip() == "0 bans, 0 mutes"
    assert second.client().login("carol@example.org")[-1]["win"] == "winSelectPlayer"


def test_mute_blocks_map_global_and_whisper_chat_until_unmuted(cluster):
    alice, bob = two_workers_two_players(cluster)
    make_staff(cluster, alice, "Alice", 1)
    alice.send({"type": 5, "text": "/mute Bob 30m"})
    assert chat(alice) == (BLUE, "Bob is muted for 30m.")
    assert chat(bob) == (RED, "You have been muted for 30m.")
    for text in ("hello map", "'hello world", "@alice psst"):
        bob.send({"type": 5, "text": text})
        lines = heard(bob)
        assert len(lines) == 1 and lines[0][0] == RED, lines
        assert lines[0][1].startswith("You are muted for 29m") and lines[0][1].endswith("nobody can read your chat.")
    assert heard(alice) == []
    alice.send({"type": 5, "text": "/unmute bob"})
    assert chat(alice) == (BLUE, "Bob can chat again.")
    assert chat(bob) == (RED, "You can chat again.")
    bob.send({"type": 5, "text": "'hello again"})
    assert chat(alice) == ("#ff00ff", "Bob:hello again") and chat(bob) == ("#ff00ff", "Bob:hello again")
    bob.send({"type": 5, "text": "@alice psst"})
    assert chat(alice) == ("#00ff00", "Bob >> psst") and chat(bob) == ("#00ff00", ">>Alice: psst")
    # a mute from the operator is kept in storage: it holds after he logs in again
    result = cluster.cli("admin", "mute", "Bob")
    assert result.returncode == 0 and result.stdout.strip() == "Bob is muted until unmuted."
    assert chat(bob) == (RED, "You have been muted until unmuted.")
    bob.close()
    wait_for(lambda: cluster.status()["sessions"] == 1, timeout=5)
    back = cluster.client()
    back.login("bob@example.org")
    back.enter(0)
    back.drain()
    back.send({"type": 5, "text": "hello"})
    assert heard(back) == [(RED, "You are muted: nobody can read your chat.")]
    assert cluster.cli("admin", "unmute", "Bob").returncode == 0
    assert chat(back) == (RED, "You can chat again.")
    back.send({"type": 5, "text": "hello"})
    assert chat(back) == ("#ffffff", "Bob:hello")


def test_normal_players_get_plain_chat_and_announcements_reach_both_workers(cluster):
    alice, bob = two_workers_two_players(cluster)
    for text in ("/kick Alice", "/ban Alice 2h", "/mute Alice", "/announce free gold"):
        bob.send({"type": 5, "text": text})
        assert chat(bob) == ("#ffffff", f"Bob:{text}")  # as any staff command at access 0 (PROTOCOL 5.8)
    make_staff(cluster, alice, "Alice", 1)
    alice.send({"type": 5, "text": "/announce hello"})  # announcing needs access 2
    assert chat(alice) == ("#ffffff", "Alice:/announce hello")
    alice.send({"type": 5, "text": "/kick Nobody"})
    assert chat(alice) == (RED, "There is no character named Nobody.")
    assert heard(bob) == []
    make_staff(cluster, alice, "Alice", 2)
    alice.send({"type": 5, "text": "/announce Pizza at the inn"})
    for client in (alice, bob):
        assert chat(client) == (YELLOW, "[Announcement] Pizza at the inn")
    result = cluster.cli("admin", "announce", "Restart", "in", "5", "minutes")
    assert result.returncode == 0 and result.stdout.strip() == "Announced to everyone online."
    for client in (alice, bob):
        assert chat(client) == (YELLOW, "[Announcement] Restart in 5 minutes")
    result = cluster.cli("admin", "kick", "Alice", "go", "home")
    assert result.returncode == 0 and result.stdout.strip() == "Alice was kicked."
    assert alice.recv_until(lambda p: p["type"] == 100)[-1] == {
        "type": 100, "win": "winLogin", "message": "You have been kicked from the game: go home"}
    assert alice.is_closed()
    assert chat(bob) == (GREY, "Alice has left the game!")
    wait_for(lambda: cluster.status()["sessions"] == 1, timeout=5)
    assert cluster.client().login("alice@example.org")[-1]["win"] == "winSelectPlayer"  # a kick is no ban
