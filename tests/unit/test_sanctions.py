"""storage.sanctions: bans and mutes in a real LMDB store, kicks, the login refusal, access checks."""
from __future__ import annotations

import json
import logging

import pytest
from test_accounts import Desk

from cluster import packets, wire
from storage import db, sanctions
from storage.admin import Admin
from storage.sanctions import Sanctions

HOUR = 3_600_000


class Node:
    """What the handlers use of the storage node."""

    def __init__(self, desk: Desk) -> None:
        self.accounts = desk.accounts
        self.sanctions = Sanctions(self)


@pytest.fixture
def desk(tmp_path):
    made = Desk(tmp_path / "lmdb")
    made.node = Node(made)
    made.admin = Admin(made.node)
    yield made
    made.store.close()


def player(desk: Desk, conn: int, email: str, name: str, access: int = 0) -> int:
    """An account with one character, in the game; returns its pid."""
    desk.register(conn, email)
    desk.create(conn, name)
    pid = desk.accounts.by_conn[("edge-1", conn)]
    if access:
        with desk.store.write() as txn:
            key = db.char_key(desk.accounts.sessions[pid].account_id, 0)
            record = txn.get("characters", key)
            record["access"] = access
            txn.put("characters", key, record)
    return pid


def moderate(desk: Desk, pid: int, access: int, action: str, text: str) -> list:
    out: list = []
    with desk.store.write() as txn:
        desk.node.sanctions.in_game(txn, out, "map-1", pid, access, "Ann", action, text)
    return out


def operator(desk: Desk, action: str, args: dict) -> tuple[list, list]:
    out: list = []
    with desk.store.write() as txn:
        desk.admin.handle(txn, out, b"client", "r1", action, args)
    replies = [c[3:5] for c in out if c[0] == wire.ADMIN_REPLY]
    return [c for c in out if c[0] != wire.ADMIN_REPLY], replies


def told(out: list, pid: int) -> list[tuple[str, str]]:
    """(color, text) of the 114s for ``pid``."""
    lines = []
    for command in out:
        if command[0] == wire.OUT and command[1] == [pid]:
            packet = json.loads(command[2])
            if packet["type"] == 114:
                lines.append((packet["color"], packet["text"]))
    return lines


def test_a_ban_kicks_the_online_player_and_refuses_his_login(desk, caplog):
    ann, bob = player(desk, 1, "ann@x.org", "Ann", access=2), player(desk, 2, "bob@x.org", "Bob")
    with caplog.at_level(logging.INFO, logger="storage.sanctions"):
        out = moderate(desk, ann, 2, "ban", "bob 2h spamming")
    window = json.loads(next(c[2] for c in out if c[0] == wire.OUT and c[1] == [bob]))
    assert window["type"] == 100 and window["win"] == "winLogin"
    assert window["message"].startswith("This account is banned until ")
    assert window["message"].endswith(" (in 2h): spamming") or window["message"].endswith(" (in 1h 59m): spamming")
    assert [wire.CLOSE_PID, bob] in out
    assert told(out, ann)[0][0] == packets.COLOR_BLUE and told(out, ann)[0][1].startswith("Bob is banned until ")
    assert "Ann (access 2) banned Bob" in caplog.text and "spamming" in caplog.text
    desk.logout(2)
    refusal = [json.loads(c[3]) for c in desk.login(3, "bob@x.org") if c[0] == wire.OUT_CONN]
    assert len(refusal) == 1 and refusal[0]["win"] == "winLogin"
    assert refusal[0]["message"].split(" (in ")[0] == window["message"].split(" (in ")[0]
    assert refusal[0]["message"].endswith("): spamming")


def test_an_expired_ban_lets_him_in_and_is_forgotten(desk):
    player(desk, 1, "bob@x.org", "Bob")
    desk.logout(1)
    with desk.store.write() as txn:
        account_id = txn.get("emails", db.text_key("bob@x.org"))
        txn.put("bans", db.int_key(account_id), {"kind": "ban", "name": "Bob", "reason": "", "until_ms": 1,
                                                  "by": "operator", "at_ms": 0})
    out = desk.login(2, "bob@x.org")
    assert any(c[0] == wire.BIND for c in out)
    with desk.store.read() as txn:
        assert txn.get("bans", db.int_key(account_id)) is None


def test_staff_cannot_sanction_their_peers_or_unknown_names(desk):
    ann = player(desk, 1, "ann@x.org", "Ann", access=2)
    player(desk, 2, "cy@x.org", "Cy", access=2)
    assert told(moderate(desk, ann, 2, "kick", "Cy"), ann) == [
        (packets.COLOR_RED, "Cy is staff at your access level or above.")]
    assert told(moderate(desk, ann, 2, "ban", "Ann"), ann)[0][1].startswith("Ann is staff")
    assert told(moderate(desk, ann, 2, "mute", "Nobody 2h"), ann) == [
        (packets.COLOR_RED, "There is no character named Nobody.")]
    assert moderate(desk, ann, 1, "ban", "Cy") == []  # storage checks the level again


def test_mute_reaches_the_players_worker_and_lasts(desk):
    ann, bob = player(desk, 1, "ann@x.org", "Ann", access=1), player(desk, 2, "bob@x.org", "Bob")
    out = moderate(desk, ann, 1, "mute", "Bob 30m")
    muted = next(c for c in out if c[0] == wire.FOR_PLAYER)
    assert muted[1:3] == [bob, wire.MUTED] and muted[3][0] is True and isinstance(muted[3][1], int)
    assert told(out, bob) == [(packets.COLOR_RED, "You have been muted for 30m.")]
    assert told(out, ann) == [(packets.COLOR_BLUE, "Bob is muted for 30m.")]
    record = {"data": {}}  # a record storage hands to a map (enter, map load) carries it
    with desk.store.write() as txn:
        sanctions.overlay_mute(txn, desk.accounts.sessions[bob].account_id, record)
    assert record["data"]["muted_until_ms"] == muted[3][1]
    out = moderate(desk, ann, 1, "unmute", "bob")
    assert [c for c in out if c[0] == wire.FOR_PLAYER] == [[wire.FOR_PLAYER, bob, wire.MUTED, [False, None]]]
    with desk.store.write() as txn:
        sanctions.overlay_mute(txn, desk.accounts.sessions[bob].account_id, record)
    assert record["data"] == {}
    assert told(moderate(desk, ann, 1, "unmute", "bob"), ann) == [(packets.COLOR_RED, "Bob is not muted.")]


def test_announce_goes_to_everyone(desk):
    ann = player(desk, 1, "ann@x.org", "Ann", access=2)
    out = moderate(desk, ann, 2, "announce", "  Server   restart at eight ")
    everyone = [json.loads(c[1]) for c in out if c[0] == wire.OUT_ALL]
    assert everyone == [{"type": 114, "channel_id": 0, "color": "#ffff00", "temp": False,
                         "text": "[Announcement] Server restart at eight"}]


def test_operator_ban_list_and_unban(desk):
    player(desk, 1, "bob@x.org", "Bob")
    desk.logout(1)
    out, replies = operator(desk, "ban", {"name": "bob", "duration_ms": None, "reason": "cheating", "by": "root"})
    assert replies == [[True, "Bob is banned permanently."]] and out == []
    operator(desk, "mute", {"name": "Bob", "duration_ms": 2 * HOUR, "by": "root"})
    _, replies = operator(desk, "bans", {})
    assert replies[0][0] is True and replies[0][1] == "1 bans, 1 mutes"
    out, [[ok, message]] = operator(desk, "unban", {"name": "Bob", "by": "root"})
    assert (ok, message) == (True, "Bob is no longer banned.")
    _, [[ok, message]] = operator(desk, "unban", {"name": "Bob"})
    assert (ok, message) == (False, "Bob is not banned.")
    _, [[ok, message]] = operator(desk, "ban", {"name": "Bob", "duration_ms": -5})
    assert not ok and message.startswith("usage: ban")
    _, [[ok, message]] = operator(desk, "kick", {"name": "Bob"})
    assert (ok, message) == (False, "Bob is not online.")


def test_a_fresh_and_a_version_1_environment_both_open(tmp_path):
    import lmdb
    old = lmdb.open(str(tmp_path / "old"), max_dbs=12)  # as schema 1 left it: no bans, no mutes
    meta = old.open_db(b"meta")
    with old.begin(write=True) as txn:
        txn.put(b"schema_version", db.pack(1), db=meta)
    old.close()
    for path in (tmp_path / "old", tmp_path / "fresh"):
        store = db.Store(path, map_size_mb=16)
        assert db.migrate(store) in (0, 1)
        with store.write() as txn:
            txn.put("bans", db.int_key(1), {"kind": "ban"})
            assert txn.meta("schema_version") == db.SCHEMA_VERSION == 2
        store.close()


def test_a_map_loading_a_player_gets_his_mute_from_storage_whatever_the_checkpoint_says(desk):
    """A failover re-join: the record comes from the last checkpoint, the mute from ``mutes``."""
    from cluster.config import Config
    from storage.node import Storage
    bob = player(desk, 1, "bob@x.org", "Bob")
    node = Storage(Config(), desk.store, desk.jobs)
    node.accounts = desk.accounts
    operator(desk, "mute", {"name": "Bob", "duration_ms": None})
    out: list = []
    with desk.store.write() as txn:
        node.on_load_map(txn, out, "map-2", 0, 5, [bob])
    [loaded] = [command[2] for command in out if command[0] == wire.TO]  # [MAP_LOADED, map, epoch, ...]
    [(_pid, _key, record)] = loaded[5]
    assert record["data"]["muted_until_ms"] is None  # muted until lifted
    operator(desk, "unmute", {"name": "Bob"})
    out = []
    with desk.store.write() as txn:
        node.on_load_map(txn, out, "map-2", 0, 6, [bob])
    assert "muted_until_ms" not in next(c for c in out if c[0] == wire.TO)[2][5][0][2]["data"]
