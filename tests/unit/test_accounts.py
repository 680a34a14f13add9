"""storage.accounts: packets 0–4 (PROTOCOL 2.2) and the enter-world sequence (2.2.6).

A real LMDB store with the starter world and the real argon2 hasher (cheap
settings); only the thread pool is replaced, by one that runs each job at
once and its continuation in the same transaction.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cluster import wire
from cluster.config import Config
from storage import db
from storage.accounts import Accounts
from storage.node import Hasher
from storage.world import WorldCache, ensure_world

STARTER = Path(__file__).resolve().parents[2] / "storage" / "starter_world"
PROFESSIONS = json.loads((STARTER / "professions.json").read_text(encoding="utf-8"))
EDGE = "edge-1"


class InlineJobs:
    """Stands in for the thread pool only: run now, continue in the caller's txn."""

    txn = out = None
    pending = 0  # every job is done at once: the queue is always empty

    def submit(self, function, args, continuation) -> None:
        try:
            result = function(*args)
        except Exception as error:  # the pool hands exceptions to the continuation
            result = error
        continuation(self.txn, self.out, result)


class Desk:
    """The account handler over a fresh data directory."""

    def __init__(self, path: Path) -> None:
        self.store = db.Store(path, map_size_mb=64)
        ensure_world(self.store, "")
        config = Config()
        config.storage.argon2_time_cost, config.storage.argon2_memory_kib = 1, 8
        config.storage.argon2_parallelism = 1
        self.jobs = InlineJobs()
        self.motd = ""
        self.accounts = Accounts(WorldCache(self.store), self.jobs, Hasher(config), lambda: self.motd)

    def send(self, conn: int, packet_type: int, packet: dict) -> list:
        out: list = []
        with self.store.write() as txn:
            self.jobs.txn, self.jobs.out = txn, out
            self.accounts.handle(txn, out, EDGE, conn, packet_type, json.dumps(packet).encode())
        return out

    def register(self, conn: int, email: str, password: str = "pw-123456") -> int:
        out = self.send(conn, 0, {"email": email, "password": password, "version": "Build 1982 Beta"})
        return bound(out)

    def login(self, conn: int, email: str, password: str = "pw-123456") -> list:
        return self.send(conn, 1, {"email": email, "password": password})

    def logout(self, conn: int) -> None:
        self.accounts.logout(self.accounts.by_conn[(EDGE, conn)], False, 0)

    def create(self, conn: int, name: str, profession_id: int = 0, gender: int = 0) -> list:
        return self.send(conn, 3, {"name": name, "profession_id": profession_id, "gender": gender})


@pytest.fixture
def desk(tmp_path):
    made = Desk(tmp_path / "lmdb")
    yield made
    made.store.close()


def replies(out: list, conn: int) -> list[dict]:
    return [json.loads(c[3]) for c in out if c[0] == wire.OUT_CONN and c[2] == conn]


def shape(out: list) -> list:
    """Each command as (token, type, win) so an order can be compared at a glance."""
    result = []
    for command in out:
        if command[0] in (wire.OUT_CONN, wire.OUT_ALL):
            packet = json.loads(command[-1])
            result.append((command[0], packet["type"], packet.get("win")))
        else:
            result.append((command[0],))
    return result


def bound(out: list) -> int | None:
    binds = [c for c in out if c[0] == wire.BIND]
    assert len(binds) <= 1
    return binds[0][3] if binds else None


def refused(out: list, conn: int, win: str | None = None) -> dict:
    """Exactly one 100 with a message, and no session or game change."""
    got = replies(out, conn)
    assert [p["type"] for p in got] == [100], got
    assert got[0]["message"], "a refusal must say why"
    if win:
        assert got[0]["win"] == win
    assert not any(c[0] in (wire.BIND, wire.ENTER, wire.OUT_ALL) for c in out)
    return got[0]


def entered(out: list) -> list | None:
    enters = [c for c in out if c[0] == wire.ENTER]
    assert len(enters) <= 1
    return enters[0] if enters else None


# --- 0: create account ------------------------------------------------------------------

def test_create_account_replies_in_order_without_the_password(desk):
    out = desk.send(1, 0, {"email": "Ann@Example.com", "password": "s3cret-pass", "version": "x"})
    pid = bound(out)
    assert pid is not None
    assert [(p["type"], p.get("win")) for p in replies(out, 1)] == [
        (100, "winMessage"), (101, None), (102, None), (100, "winSelectPlayer")]
    welcome, account, professions, select = replies(out, 1)
    assert welcome["message"]
    assert account["account_id"] == pid
    assert account["account"]["password"] == ""
    assert account["account"]["email"] == "Ann@Example.com"
    assert [c["name"] for c in account["account"]["players"]] == ["", "", ""]
    assert professions["profession"] == PROFESSIONS
    assert select["message"] == ""
    everything = b"".join(c[-1] for c in out if isinstance(c[-1], bytes))
    assert b"s3cret-pass" not in everything and b"argon2" not in everything and b"password_hash" not in everything
    with desk.store.read() as txn:  # stored hashed, never in plain text
        stored = txn.get("accounts", db.int_key(txn.get("emails", db.text_key("ann@example.com"))))
    assert stored["password"] == "" and stored["password_hash"].startswith("$argon2")


def test_duplicate_email_in_any_case(desk):
    desk.register(1, "Ann@Example.com")
    refused(desk.send(2, 0, {"email": "aNN@example.COM", "password": "x", "version": "x"}), 2, "winLogin")


@pytest.mark.parametrize("packet", [
    {"password": "pw", "version": "v"}, {"email": "a@b.c", "version": "v"}, {"email": "a@b.c", "password": "pw"},
    {"email": "", "password": "pw", "version": "v"}, {"email": "a@b.c", "password": "", "version": "v"},
    {"email": 5, "password": "pw", "version": "v"}, {"email": "a@b.c", "password": ["pw"], "version": "v"},
])
def test_create_account_with_missing_fields(desk, packet):
    refused(desk.send(1, 0, packet), 1)


# --- 1: login ---------------------------------------------------------------------------------

def test_login_replies_in_order(desk):
    first_pid = desk.register(1, "Ann@Example.com")
    desk.logout(1)
    out = desk.login(2, "ANN@example.com")
    pid = bound(out)
    assert pid is not None and pid != first_pid  # a new login gets a new number (0.2)
    assert [(p["type"], p.get("win")) for p in replies(out, 2)] == [
        (100, "winMessage"), (102, None), (101, None), (100, "winSelectPlayer")]
    account = replies(out, 2)[2]
    assert account["account_id"] == pid and account["account"]["password"] == ""


def test_wrong_password_and_unknown_email(desk):
    desk.register(1, "ann@example.com", "right-one")
    desk.logout(1)
    refused(desk.login(2, "ann@example.com", "wrong-one"), 2, "winLogin")
    refused(desk.login(3, "bob@example.com", "right-one"), 3, "winLogin")


def test_account_already_online(desk):
    desk.register(1, "ann@example.com")
    refused(desk.login(2, "ann@example.com"), 2, "winLogin")


def test_login_with_missing_fields_closes(desk):
    out = desk.send(1, 1, {"email": "ann@example.com"})
    assert out == [[wire.CLOSE_CONN, EDGE, 1]]


def test_logged_in_session_cannot_log_in_again_or_create_an_account(desk):
    desk.register(2, "bob@example.com")
    desk.logout(2)
    desk.register(1, "ann@example.com")
    refused(desk.login(1, "bob@example.com"), 1)
    refused(desk.send(1, 0, {"email": "cy@example.com", "password": "pw", "version": "v"}), 1)
    assert bound(desk.login(3, "bob@example.com")) is not None  # bob was not left "online"
    refused(desk.login(4, "cy@example.com"), 4, "winLogin")  # cy was never created


@pytest.mark.parametrize("packet_type", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("raw", [b"null", b"[1, 2]", b"5", b'"text"'])
def test_json_that_is_not_an_object_closes(desk, packet_type, raw):
    """Found by the fuzz test: a JSON null reached the packet's handler, which failed on it."""
    out: list = []
    with desk.store.write() as txn:
        desk.accounts.handle(txn, out, EDGE, 1, packet_type, raw)
    assert out == [[wire.CLOSE_CONN, EDGE, 1]]


@pytest.mark.parametrize("packet_type", [2, 3, 4])
def test_character_packets_without_a_session_close(desk, packet_type):
    out = desk.send(1, packet_type, {"slot_id": 0, "name": "Ann", "profession_id": 0, "gender": 0})
    assert out == [[wire.CLOSE_CONN, EDGE, 1]]


# --- 3: create character, and the enter sequence (2.2.6) ------------------------------------------

def test_create_character_enter_sequence(desk):
    desk.motd = "Be nice"
    account_pid = desk.register(1, "ann@example.com")
    account_id = desk.accounts.sessions[account_pid].account_id
    out = desk.create(1, "Ann Lee", profession_id=1, gender=0)
    assert shape(out) == [
        (wire.OUT_ALL, 114, None), (wire.OUT_CONN, 109, None), (wire.OUT_CONN, 103, None),
        (wire.OUT_CONN, 104, None), (wire.OUT_CONN, 105, None), (wire.OUT_CONN, 139, None),
        (wire.OUT_CONN, 114, None), (wire.OUT_CONN, 114, None), (wire.OUT_CONN, 100, "winGame"), (wire.ENTER,)]
    joined = json.loads(out[0][1])
    assert (joined["channel_id"], joined["color"]) == (1, "#696969") and "Ann Lee" in joined["text"]
    own, items, npcs, shops, quests, motd, count, game = replies(out, 1)
    archer = PROFESSIONS[1]
    assert own["player_id"] == account_pid
    player = own["player"]
    assert player["name"] == "Ann Lee" and player["profession_id"] == 1
    assert player["sprite"] == archer["sprite_male"]
    assert player["vitals"] == archer["vitals"]
    assert player["stats"] == {"str": 0, "def": 0, "mag": 0, "spd": 0}
    assert {k: player["pos"][k] for k in ("x", "y", "map_id")} == {k: archer["start_pos"][k] for k in ("x", "y", "map_id")}
    assert items["item"] == json.loads((STARTER / "items.json").read_text(encoding="utf-8"))
    assert isinstance(npcs["npc"], list) and isinstance(shops["shop"], list) and isinstance(quests["quest"], list)
    assert (motd["channel_id"], motd["color"], motd["text"]) == (0, "#ffffff", "MOTD: Be nice")
    assert (count["channel_id"], count["color"]) == (0, "#ffff00") and re.search(r"\b0\b", count["text"])
    assert game["message"] == ""
    _, pid, map_id, char_key, record, ignore = entered(out)
    assert (pid, map_id, char_key) == (account_pid, archer["start_pos"]["map_id"], [account_id, 0])
    assert record["name"] == "Ann Lee" and ignore == []


def test_no_motd_line_without_a_motd_and_count_of_others(desk):
    desk.register(1, "ann@example.com")
    desk.create(1, "Ann")
    desk.register(2, "bob@example.com")
    out = desk.create(2, "Bob")
    chat = [p for p in replies(out, 2) if p["type"] == 114]
    assert len(chat) == 1 and re.search(r"\b1\b", chat[0]["text"])  # one other player online


@pytest.mark.parametrize("name", ["", "A" * 21, "Bob!", "<b>x</b>", "Two  Spaces", " Lead", "Trail ",
                                  "Tab\tName", "Bob\n", None, 5])
def test_invalid_names_are_refused(desk, name):
    desk.register(1, "ann@example.com")
    refused(desk.create(1, name), 1, "winSelectPlayer")


def test_twenty_characters_is_a_valid_name(desk):
    desk.register(1, "ann@example.com")
    assert entered(desk.create(1, "A" * 20)) is not None


@pytest.mark.parametrize("profession_id", [-1, len(PROFESSIONS), "0", True, None, 1.0])
def test_bad_profession_is_refused(desk, profession_id):
    desk.register(1, "ann@example.com")
    refused(desk.create(1, "Ann", profession_id=profession_id), 1, "winSelectPlayer")


def test_no_free_slot(desk):
    desk.register(1, "ann@example.com")
    for conn, name in ((1, "One"), (2, "Two"), (3, "Three")):
        if conn > 1:
            assert bound(desk.login(conn, "ann@example.com")) is not None
        assert entered(desk.create(conn, name)) is not None
        desk.logout(conn)
    assert bound(desk.login(4, "ann@example.com")) is not None
    refused(desk.create(4, "Four"), 4, "winSelectPlayer")


def test_name_taken_in_another_account_whatever_the_case(desk):
    desk.register(1, "ann@example.com")
    assert entered(desk.create(1, "Hero")) is not None
    desk.register(2, "bob@example.com")
    refused(desk.create(2, "hERO"), 2, "winSelectPlayer")


@pytest.mark.parametrize("gender, sprite_key", [(0, "sprite_male"), (1, "sprite_female"), (2, "sprite_female")])
def test_gender_is_stored(desk, gender, sprite_key):
    pid = desk.register(1, "ann@example.com")
    record = entered(desk.create(1, "Ann", profession_id=0, gender=gender))[4]
    assert record["sprite"] == PROFESSIONS[0][sprite_key]
    with desk.store.read() as txn:
        stored = txn.get("characters", db.char_key(desk.accounts.sessions[pid].account_id, 0))
    assert (stored["gender"] != 0) == (gender != 0)
    if gender in (0, 1):
        assert stored["gender"] == gender


# --- 4: enter, twice; 2: reset slot -----------------------------------------------------------------

def test_enter_game_and_twice_is_refused(desk):
    desk.register(1, "ann@example.com")
    desk.create(1, "Ann")
    desk.logout(1)
    pid = bound(desk.login(2, "ann@example.com"))
    out = desk.send(2, 4, {"slot_id": 0})
    assert shape(out)[0] == (wire.OUT_ALL, 114, None)
    assert [p["type"] for p in replies(out, 2)] == [109, 103, 104, 105, 139, 114, 100]
    own = replies(out, 2)[0]
    assert own["player_id"] == pid and own["player"]["data"]["nextTick"] == 0
    assert entered(out)[1] == pid
    for again in ({"slot_id": 0}, {"slot_id": 1}):
        out = desk.send(2, 4, again)
        assert entered(out) is None
        assert replies(out, 2), "a refusal, not silence"
    assert entered(desk.create(2, "Other")) is None  # nor by creating a character


@pytest.mark.parametrize("slot", [1, 3, -1, "0", True])
def test_enter_empty_or_bad_slot(desk, slot):
    desk.register(1, "ann@example.com")
    desk.create(1, "Ann")
    desk.logout(1)
    desk.login(2, "ann@example.com")
    assert entered(desk.send(2, 4, {"slot_id": slot})) is None


def test_reset_slot_frees_the_name(desk):
    desk.register(1, "ann@example.com")
    desk.create(1, "Hero")
    desk.logout(1)
    desk.login(2, "ann@example.com")
    out = desk.send(2, 2, {"slot_id": 0})
    got = replies(out, 2)
    assert [(p["type"], p.get("win")) for p in got] == [(101, None), (100, "winSelectPlayer")]
    assert got[0]["account"]["players"][0]["name"] == ""
    desk.register(3, "bob@example.com")
    assert entered(desk.create(3, "hero")) is not None
