"""Account packets 0–4 (PROTOCOL 2.2) and the enter-world sequence (2.2.6).

Handlers run on the storage loop inside the turn's write transaction and
append wire commands to ``out``; the node sends them only after the
transaction is committed, so nothing is acknowledged before it is on disk.
Password hashing and checking run in a thread pool (``Jobs``); their
continuation runs in a later turn.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Callable

from cluster import packets, records, wire
from storage import db, sanctions
from storage.world import WorldCache

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9]+( [A-Za-z0-9]+)*$")
MAX_NAME = 20
MAX_EMAIL = 254
MAX_PASSWORD = 256
NOTICE_COLOR = "#ff0000"  # a refused account request while in the game (a 114, not a window)


@dataclass(slots=True)
class StorageSession:
    """A logged-in connection, as storage knows it."""
    pid: int
    account_id: int
    edge: str
    conn: int
    slot: int | None = None  # the character in play
    in_game: bool = False
    logout_deadline_ms: int | None = None


def clean_settings(settings: dict, previous: dict) -> dict:
    """Type 23 settings reduced to the known keys of PROTOCOL 4.1 with their JSON types."""
    clean = {}
    for key, default in records.DEFAULT_SETTINGS.items():
        value = settings.get(key)
        if type(value) is type(default) and (not isinstance(value, int) or 0 <= value <= 1000):
            clean[key] = value
        else:
            old = previous.get(key)
            clean[key] = old if type(old) is type(default) else default
    return clean


class Refusal(Exception):
    """A request answered with a window message instead of success."""

    def __init__(self, win: str, message: str) -> None:
        super().__init__(message)
        self.win = win
        self.message = message


def _string(packet: dict, field: str, limit: int) -> str | None:
    value = packet.get(field)
    if not isinstance(value, str) or not value or len(value) > limit:
        return None
    return value


def _int(packet: dict, field: str) -> int | None:
    value = packet.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


class Accounts:
    """Sessions, logins and characters."""

    def __init__(self, world: WorldCache, jobs: Any, hasher: Any, motd: Callable[[], str],
                 queue_limit: int = 64) -> None:
        self.world = world
        self.jobs = jobs
        self.queue_limit = queue_limit  # password jobs waiting at most; then new ones hear "busy"
        self.busy_refusals = 0
        self.hasher = hasher
        self.motd = motd
        self.sessions: dict[int, StorageSession] = {}
        self.by_conn: dict[tuple[str, int], int] = {}
        self.online: dict[int, int] = {}  # account id → pid
        self.busy: set[tuple[str, int]] = set()  # a password job runs for this conn

    # --- dispatch ----------------------------------------------------------------
    def handle(self, txn: db.Txn, out: list, edge: str, conn: int, packet_type: int, raw: bytes) -> None:
        try:
            packet = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested too deep
            packet = None
        if not isinstance(packet, dict):  # the edge lets only JSON objects through; anything else ends it
            out.append([wire.CLOSE_CONN, edge, conn])
            return
        if (edge, conn) in self.busy:
            return  # one account request at a time per connection
        handler = (self.create_account, self.login, self.reset_slot, self.create_character,
                   self.enter_game)[packet_type]
        try:
            handler(txn, out, edge, conn, packet)
        except Refusal as refusal:
            session = self.session_of(edge, conn)
            if session is not None and session.in_game:
                # A window would take the client off the game screen while it stays in the game.
                self.reply(out, edge, conn, packets.chat(refusal.message, color=NOTICE_COLOR))
            else:
                self.reply(out, edge, conn, packets.window(refusal.win, refusal.message))

    @staticmethod
    def reply(out: list, edge: str, conn: int, packet: dict) -> None:
        out.append([wire.OUT_CONN, edge, conn, packets.encode(packet)])

    def playing(self, account_id: int, slot: int) -> int | None:
        """The pid playing that character right now, if any."""
        pid = self.online.get(account_id)
        session = None if pid is None else self.sessions.get(pid)
        if session is not None and session.in_game and session.slot == slot and session.logout_deadline_ms is None:
            return pid
        return None

    def session_of(self, edge: str, conn: int) -> StorageSession | None:
        pid = self.by_conn.get((edge, conn))
        return None if pid is None else self.sessions.get(pid)

    def admit(self) -> None:
        """Admission control: a bounded queue of password jobs; past it, "busy" at once."""
        if self.jobs.pending >= self.queue_limit:
            self.busy_refusals += 1
            raise Refusal(packets.WIN_LOGIN, packets.BUSY_MESSAGE)

    # --- 0: create account ---------------------------------------------------------
    def refuse_second_login(self, out, session: StorageSession) -> None:
        """A logged-in connection may not log in again or create an account over itself."""
        if session.in_game:
            self.reply(out, session.edge, session.conn, packets.chat("You are already logged in.", color=NOTICE_COLOR))
        else:
            self.reply(out, session.edge, session.conn,
                       packets.window(packets.WIN_SELECT_PLAYER, "You are already logged in."))

    def create_account(self, txn, out, edge, conn, packet) -> None:
        session = self.session_of(edge, conn)
        if session is not None:
            self.refuse_second_login(out, session)
            return
        email = _string(packet, "email", MAX_EMAIL)
        password = _string(packet, "password", MAX_PASSWORD)
        if email is None or password is None or not isinstance(packet.get("version"), str):
            raise Refusal(packets.WIN_LOGIN, "Please fill in an e-mail address and a password.")
        if txn.get("emails", db.text_key(email)) is not None:
            raise Refusal(packets.WIN_LOGIN, "An account with that e-mail address already exists.")
        self.admit()
        self.busy.add((edge, conn))
        self.jobs.submit(self.hasher.hash, (password,),
                         lambda txn2, out2, digest: self.finish_create(txn2, out2, edge, conn, email, digest))

    def finish_create(self, txn, out, edge, conn, email, digest) -> None:
        self.busy.discard((edge, conn))
        if isinstance(digest, Exception):
            log.error("password hashing failed: %s", type(digest).__name__)
            self.reply(out, edge, conn, packets.window(packets.WIN_LOGIN, "Please try again."))
            return
        if txn.get("emails", db.text_key(email)) is not None:  # created meanwhile
            self.reply(out, edge, conn, packets.window(
                packets.WIN_LOGIN, "An account with that e-mail address already exists."))
            return
        account_id = txn.counter("next_account_id")
        account = records.new_account(email)
        del account["players"]
        account["password_hash"] = digest
        txn.put("accounts", db.int_key(account_id), account)
        txn.put("emails", db.text_key(email), account_id)
        for slot in range(records.CHARACTER_SLOTS):
            txn.put("characters", db.char_key(account_id, slot), records.new_character())
        log.info("account %d created", account_id)
        pid = self.bind(txn, out, edge, conn, account_id)
        self.reply(out, edge, conn, packets.window(packets.WIN_MESSAGE, "Your account has been created."))
        self.reply(out, edge, conn, packets.account_data(pid, self.account_view(txn, account_id)))
        out.append([wire.OUT_CONN, edge, conn, self.world.encoded["profession"]])
        self.reply(out, edge, conn, packets.window(packets.WIN_SELECT_PLAYER, ""))

    # --- 1: login ---------------------------------------------------------------------
    def login(self, txn, out, edge, conn, packet) -> None:
        session = self.session_of(edge, conn)
        if session is not None:
            self.refuse_second_login(out, session)
            return
        email = _string(packet, "email", MAX_EMAIL)
        password = packet.get("password")
        if email is None or not isinstance(password, str) or len(password) > MAX_PASSWORD:
            out.append([wire.CLOSE_CONN, edge, conn])  # PROTOCOL 2.2.2: meant to close
            return
        account_id = txn.get("emails", db.text_key(email))
        account = None if account_id is None else txn.get("accounts", db.int_key(account_id))
        if account is None:
            raise Refusal(packets.WIN_LOGIN, "The e-mail address or the password is incorrect.")
        self.admit()
        self.busy.add((edge, conn))
        self.jobs.submit(self.hasher.verify, (account["password_hash"], password),
                         lambda txn2, out2, ok: self.finish_login(txn2, out2, edge, conn, account_id, ok))

    def finish_login(self, txn, out, edge, conn, account_id, ok) -> None:
        self.busy.discard((edge, conn))
        if ok is not True:
            self.reply(out, edge, conn, packets.window(
                packets.WIN_LOGIN, "The e-mail address or the password is incorrect."))
            return
        banned = sanctions.login_refusal(txn, account_id)
        if banned is not None:
            log.info("account %d refused at login: banned", account_id)
            self.reply(out, edge, conn, packets.window(packets.WIN_LOGIN, banned))
            return
        if account_id in self.online:
            self.reply(out, edge, conn, packets.window(packets.WIN_LOGIN, "That account is already logged in."))
            return
        pid = self.bind(txn, out, edge, conn, account_id)
        account = txn.get("accounts", db.int_key(account_id))
        account["last_login"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        txn.put("accounts", db.int_key(account_id), account)
        log.info("account %d logged in as player %d", account_id, pid)
        self.reply(out, edge, conn, packets.window(packets.WIN_MESSAGE, "You have logged in."))
        out.append([wire.OUT_CONN, edge, conn, self.world.encoded["profession"]])
        self.reply(out, edge, conn, packets.account_data(pid, self.account_view(txn, account_id)))
        self.reply(out, edge, conn, packets.window(packets.WIN_SELECT_PLAYER, ""))

    def bind(self, txn, out, edge, conn, account_id) -> int:
        pid = txn.counter("next_pid")
        self.sessions[pid] = StorageSession(pid, account_id, edge, conn)
        self.by_conn[(edge, conn)] = pid
        self.online[account_id] = pid
        out.append([wire.BIND, edge, conn, pid, account_id])
        return pid

    def account_view(self, txn, account_id: int) -> dict:
        """The account as the client sees it: no hash, password "" (PROTOCOL 8.2)."""
        account = txn.get("accounts", db.int_key(account_id))
        account.pop("password_hash", None)
        account["password"] = ""
        account["players"] = [txn.get("characters", db.char_key(account_id, slot)) or records.new_character()
                              for slot in range(records.CHARACTER_SLOTS)]
        return account

    # --- 2: reset slot -------------------------------------------------------------------
    def reset_slot(self, txn, out, edge, conn, packet) -> None:
        session = self.session_of(edge, conn)
        slot = _int(packet, "slot_id")
        if session is None:
            out.append([wire.CLOSE_CONN, edge, conn])
            return
        if slot is None or not 0 <= slot < records.CHARACTER_SLOTS:
            raise Refusal(packets.WIN_SELECT_PLAYER, "There is no such character slot.")
        if session.in_game:
            raise Refusal(packets.WIN_SELECT_PLAYER, "You cannot delete a character while playing.")
        key = db.char_key(session.account_id, slot)
        old = txn.get("characters", key) or records.new_character()
        if old["name"]:
            txn.delete("names", db.text_key(old["name"]))
        txn.put("characters", key, records.new_character())
        self.reply(out, edge, conn, packets.account_data(session.pid, self.account_view(txn, session.account_id)))
        self.reply(out, edge, conn, packets.window(packets.WIN_SELECT_PLAYER, ""))

    # --- 3: create character ---------------------------------------------------------------
    def create_character(self, txn, out, edge, conn, packet) -> None:
        session = self.session_of(edge, conn)
        if session is None:
            out.append([wire.CLOSE_CONN, edge, conn])
            return
        if session.in_game:
            raise Refusal(packets.WIN_GAME, "You are already in the game.")
        name = packet.get("name")
        profession_id = _int(packet, "profession_id")
        gender = _int(packet, "gender")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or len(name) > MAX_NAME:
            raise Refusal(packets.WIN_SELECT_PLAYER,
                          f"A name is 1 to {MAX_NAME} letters or digits, with single spaces between words.")
        professions = self.world.professions
        if profession_id is None or not 0 <= profession_id < len(professions):
            raise Refusal(packets.WIN_SELECT_PLAYER, "Please choose a profession.")
        if gender is None:
            raise Refusal(packets.WIN_SELECT_PLAYER, "Please choose a gender.")
        slot = next((s for s in range(records.CHARACTER_SLOTS)
                     if not (txn.get("characters", db.char_key(session.account_id, s)) or {}).get("name")), None)
        if slot is None:
            raise Refusal(packets.WIN_SELECT_PLAYER, "All slots are full: delete a character first.")
        if txn.get("names", db.text_key(name)) is not None:
            raise Refusal(packets.WIN_SELECT_PLAYER, "That name is taken.")
        profession = professions[profession_id]
        record = records.new_character()
        start = profession["start_pos"]
        record.update(name=name, profession_id=profession_id, gender=0 if gender == 0 else 1,
                      pos=records.position(start["x"], start["y"], start.get("dir", 0), start["map_id"]),
                      max_vitals=dict(profession["vitals"]), vitals=dict(profession["vitals"]),
                      sprite=profession["sprite_male"] if gender == 0 else profession["sprite_female"])
        record["data"] = {"nextTick": 0}
        txn.put("characters", db.char_key(session.account_id, slot), record)
        txn.put("names", db.text_key(name), [session.account_id, slot])
        log.info("account %d created character in slot %d", session.account_id, slot)
        self.enter(txn, out, session, slot, record)

    # --- 4: enter the game ------------------------------------------------------------------
    def enter_game(self, txn, out, edge, conn, packet) -> None:
        session = self.session_of(edge, conn)
        if session is None:
            out.append([wire.CLOSE_CONN, edge, conn])
            return
        slot = _int(packet, "slot_id")
        if slot is None or not 0 <= slot < records.CHARACTER_SLOTS:
            raise Refusal(packets.WIN_SELECT_PLAYER, "There is no such character slot.")
        if session.in_game:
            self.reply(out, edge, conn, packets.chat("You are already in the game.", color=NOTICE_COLOR))
            return
        record = txn.get("characters", db.char_key(session.account_id, slot))
        if not record or not record.get("name"):
            raise Refusal(packets.WIN_SELECT_PLAYER, "That slot is empty.")
        record.setdefault("data", {})["nextTick"] = 0
        self.enter(txn, out, session, slot, record)

    def enter(self, txn, out, session: StorageSession, slot: int, record: dict) -> None:
        """Effects shared by 3 and 4, then the enter-world sequence of 2.2.6."""
        edge, conn, pid = session.edge, session.conn, session.pid
        if record["pos"]["map_id"] not in self.world.map_ids:
            record["pos"] = records.position(5, 5, 0, min(self.world.map_ids))
        sanctions.overlay_mute(txn, session.account_id, record)
        joined = packets.chat(f"{record['name']} has joined the game!", packets.CHANNEL_NOTICE, packets.COLOR_GREY)
        out.append([wire.OUT_ALL, packets.encode(joined)])
        self.reply(out, edge, conn, packets.own_character(pid, record))
        others = sum(1 for s in self.sessions.values() if s.in_game)
        session.slot, session.in_game = slot, True
        for kind in ("item", "npc", "shop", "quest"):
            out.append([wire.OUT_CONN, edge, conn, self.world.encoded[kind]])
        motd = self.motd()
        if motd:
            self.reply(out, edge, conn, packets.chat(f"MOTD: {motd}", packets.CHANNEL_GENERAL, packets.COLOR_WHITE))
        self.reply(out, edge, conn, packets.chat(
            f"There {'is' if others == 1 else 'are'} {others} other player{'' if others == 1 else 's'} online.",
            packets.CHANNEL_GENERAL, packets.COLOR_YELLOW))
        self.reply(out, edge, conn, packets.window(packets.WIN_GAME, ""))
        account = txn.get("accounts", db.int_key(session.account_id)) or {}
        ignore = [name.lower() for name in account.get("ignore_players", []) if isinstance(name, str)]
        out.append([wire.ENTER, pid, record["pos"]["map_id"], [session.account_id, slot], record, ignore])

    # --- session end -------------------------------------------------------------------------
    def logout(self, pid: int, in_game: bool, deadline_ms: int) -> None:
        session = self.sessions.get(pid)
        if session is None:
            return
        self.by_conn.pop((session.edge, session.conn), None)
        if in_game and session.in_game:
            session.logout_deadline_ms = deadline_ms  # wait for the map's final save
        else:
            self.release(session)

    def release(self, session: StorageSession) -> None:
        self.sessions.pop(session.pid, None)
        if self.online.get(session.account_id) == session.pid:
            del self.online[session.account_id]
        self.by_conn.pop((session.edge, session.conn), None)

    def expire(self, now_ms: int) -> None:
        for session in [s for s in self.sessions.values()
                        if s.logout_deadline_ms is not None and s.logout_deadline_ms <= now_ms]:
            log.warning("player %d: no final save from its map in time; using the last checkpoint", session.pid)
            self.release(session)

    def reconcile(self, live: list) -> None:
        """The broker's session list: forget what it no longer has, adopt what we lost.

        Each entry is [pid, account_id, char_key, map_id, edge, conn].
        """
        live_pids = set()
        for pid, account_id, char_key, map_id, edge, conn in live:
            live_pids.add(pid)
            if pid in self.sessions or account_id is None:
                continue
            slot = char_key[1] if char_key else None
            self.sessions[pid] = StorageSession(pid, account_id, edge, conn, slot, map_id is not None)
            self.by_conn[(edge, conn)] = pid
            self.online[account_id] = pid
        for session in list(self.sessions.values()):
            if session.pid not in live_pids and session.logout_deadline_ms is None:
                log.info("player %d is no longer connected; releasing the account", session.pid)
                self.release(session)
