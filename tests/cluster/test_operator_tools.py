"""Operator tools on a running cluster: admin commands, backup and restore, world export and import."""
from __future__ import annotations

import json
from pathlib import Path

from harness import ClusterHarness, GameClient

PASSWORD = "secret-pw"


def character_of(account_packet: dict, name: str) -> dict:
    return next(p for p in account_packet["account"]["players"] if p["name"] == name)


def login_account(cluster: ClusterHarness, email: str, password: str = PASSWORD) -> tuple[GameClient, list[dict]]:
    client = cluster.client()
    return client, client.login(email, password)


def test_set_access_reaches_a_player_in_play_and_is_kept(cluster):
    alice = cluster.client()
    alice.play("alice@example.org", "Alice")
    result = cluster.cli("admin", "set-access", "ALICE", "3")
    assert result.returncode == 0, result.stderr
    assert "Alice: access 0 → 3" in result.stdout
    got = alice.recv_until(lambda p: p["type"] == 100)
    reload = [p for p in got if p["type"] == 109]
    assert len(reload) == 1 and reload[0]["player_id"] == alice.pid
    assert reload[0]["player"]["access"] == 3 and reload[0]["player"]["data"] == []
    assert got[-1] == {"type": 100, "win": "winGame", "message": ""}
    # the map worker's record carries the change: it survives logout and login
    alice.close()
    client, replies = login_account(cluster, "alice@example.org")
    account = next(p for p in replies if p["type"] == 101)
    assert character_of(account, "Alice")["access"] == 3
    bad = cluster.cli("admin", "set-access", "Nobody", "2")
    assert bad.returncode == 1 and "no character" in bad.stderr


def test_motd_is_shown_on_entering_the_game(cluster):
    result = cluster.cli("admin", "motd", "Pizza at eight")
    assert result.returncode == 0 and "Pizza at eight" in result.stdout
    bob = cluster.client()
    got = bob.play("bob@example.org", "Bob")
    lines = [p for p in got if p["type"] == 114]
    motd = {"type": 114, "channel_id": 0, "color": "#ffffff", "temp": False, "text": "MOTD: Pizza at eight"}
    assert motd in lines
    # PROTOCOL 2.2.6 step 5: the MOTD comes before the players-online line and winGame
    order = [p["type"] for p in got]
    assert got.index(motd) < order.index(100, got.index(motd))


def test_accounts_lists_emails_characters_levels_and_last_login(cluster):
    carol = cluster.client()
    carol.play("carol@example.org", "Carol", profession_id=2)
    carol.close()
    login_account(cluster, "carol@example.org")
    cluster.client().create_account("dave@example.org")
    result = cluster.cli("admin", "accounts", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["email"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"carol@example.org", "dave@example.org"}
    assert rows["carol@example.org"]["characters"] == [{"slot": 0, "name": "Carol", "level": 1, "access": 0}]
    assert rows["carol@example.org"]["last_login"].endswith("UTC")
    assert rows["dave@example.org"]["characters"] == [] and rows["dave@example.org"]["last_login"] == ""
    text = cluster.cli("admin", "accounts")
    assert "carol@example.org" in text.stdout and "Carol (lv 1, access 0)" in text.stdout


def test_reset_password_replaces_the_old_one(cluster):
    creator = cluster.client()
    creator.create_account("erin@example.org")
    creator.close()  # otherwise the account is online and a second login is refused
    result = cluster.cli("admin", "reset-password", "Erin@Example.org")
    assert result.returncode == 0, result.stderr
    new_password = result.stdout.strip().splitlines()[-1].removeprefix("new password: ")
    assert len(new_password) >= 8 and new_password != PASSWORD
    _client, old = login_account(cluster, "erin@example.org", PASSWORD)
    assert old[-1]["win"] == "winLogin" and "incorrect" in old[-1]["message"]
    _client, new = login_account(cluster, "erin@example.org", new_password)
    assert [p["type"] for p in new] == [100, 102, 101, 100] and new[-1]["win"] == "winSelectPlayer"


def test_settings_are_validated_and_stored(cluster):
    frank = cluster.client()
    frank.play("frank@example.org", "Frank")
    frank.send({"type": 23, "settings": {"font_size": 3, "toggle_run": "yes", "music_volume": 80,
                                         "evil": {"nested": 1}}})
    frank.send({"type": 5, "text": "sync"})
    frank.recv_until(lambda p: p["type"] == 114 and p["text"] == "Frank:sync")
    frank.close()
    _client, replies = login_account(cluster, "frank@example.org")
    settings = next(p for p in replies if p["type"] == 101)["account"]["settings"]
    assert settings["font_size"] == 3 and settings["music_volume"] == 80
    assert settings["toggle_run"] is True, "a value of the wrong type keeps the old one"
    assert "evil" not in settings


def test_backup_while_running_then_restore_and_log_in(cluster_factory, tmp_path):
    cluster = cluster_factory()
    gina = cluster.client()
    gina.play("gina@example.org", "Gina", profession_id=1)
    backup_file = tmp_path / "odyssey.backup"
    result = cluster.cli("backup", str(backup_file))
    assert result.returncode == 0 and backup_file.stat().st_size > 0, result.stderr
    refused = cluster.cli("restore", str(backup_file))
    assert refused.returncode == 1 and "stop it first" in refused.stderr
    # a second, empty cluster: stop it, restore the backup into it, start it again
    other = cluster_factory()
    other.stop_all()
    restored = other.cli("restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    again = other.reopen().start()
    client = GameClient(again.url())
    try:
        replies = client.login("gina@example.org")
        assert replies[-1]["win"] == "winSelectPlayer"
        assert character_of(next(p for p in replies if p["type"] == 101), "Gina")["profession_id"] == 1
    finally:
        client.close()
        again.stop_all()


def _files(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*"))
            if path.suffix in (".json", ".py")}


def test_world_export_import_round_trip_is_identical_and_reloads_maps(cluster, tmp_path):
    henry = cluster.client()
    henry.play("henry@example.org", "Henry")
    first, second = tmp_path / "first", tmp_path / "second"
    assert cluster.cli("world", "export", str(first)).returncode == 0
    starter = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
    assert _files(first) == _files(starter), "the exported world differs from the one loaded"
    # change the start map's name and import it into the running cluster
    map_file = first / "maps" / "0.json"
    map_file.write_text(map_file.read_text().replace('"Town Square"', '"Renamed Square"', 1))
    (first / "scripts" / "mobdeath.py").unlink()  # the scripts travel with the world too
    (first / "scripts" / "chat.py").write_text(
        "import game\ndef handleChat(playerID, text):\n"
        "    game.sendToAllOnMap(game.chatMessage('imported: ' + text))\n    return 1\n")
    result = cluster.cli("world", "import", str(first))
    assert result.returncode == 0, result.stderr
    got = henry.recv_until(lambda p: p["type"] == 106)
    assert got[-1]["map"]["name"] == "Renamed Square" and got[-1]["map_id"] == 0
    assert [p["type"] for p in got[:5]] == [102, 103, 104, 105, 139]
    henry.recv_until(lambda p: p["type"] == 115 and p["player_id"] == henry.pid)
    henry.send({"type": 5, "text": "still here"})
    henry.recv_until(lambda p: p["type"] == 114 and p["text"] == "imported: still here")
    assert cluster.cli("world", "export", str(second)).returncode == 0
    assert _files(second) == _files(first)
    assert "scripts/mobdeath.py" not in _files(second)
    (first / "scripts" / "chat.py").write_text("def handleChat(playerID, text):\n    return (\n")
    refused = cluster.cli("world", "import", str(first))
    assert refused.returncode == 1 and "chat" in refused.stderr
    broken = tmp_path / "broken"
    (broken / "maps").mkdir(parents=True)
    (broken / "maps" / "0.json").write_text("[]")
    bad = cluster.cli("world", "import", str(broken))
    assert bad.returncode == 1 and "0.json" in bad.stderr
