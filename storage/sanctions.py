"""Moderation in storage: bans and mutes kept in LMDB, kicks, announcements.

Both ways in end here: a staff member's command from a map worker (``MODERATE``,
checked against his access level once more) and ``odyssey admin`` (``ADMIN``).
Storage owns the ``bans`` and ``mutes`` databases (one ``Sanction`` per account),
so a sanction survives restarts and failovers; it kicks an online player through
the broker (``CLOSE_PID``: the edge closes the socket and the map saves him as on
any logout) and tells the worker that holds a muted player (``MUTED``). The
character record the worker holds carries ``data.muted_until_ms`` (absent: not
muted; None: until lifted), laid over the record from ``mutes`` whenever storage
hands a record to a map. Every action is logged with who did it.
"""
from __future__ import annotations

import logging
from typing import Any

from cluster import moderation, packets, wire
from cluster.link import now_ms
from cluster.logs import RateLimitedLog
from cluster.moderation import Order, OrderError, Sanction
from storage import db

log = logging.getLogger(__name__)
refusals = RateLimitedLog(log)  # a worker's table lets no such command through: junk, logged once per interval

MUTE_FIELD = "muted_until_ms"  # in the character record's ``data``
CONFIRM_COLOR = packets.COLOR_BLUE
ANNOUNCE_COLOR = packets.COLOR_YELLOW


class ModerationError(Exception):
    """An order that cannot be carried out; the message goes back to whoever gave it."""


# --- what other storage code asks ---------------------------------------------------------
def active(txn: db.Txn, kind: str, account_id: int, now: int) -> Sanction | None:
    """The account's ban or mute if it is in force; an expired one is deleted on the way."""
    key = db.int_key(account_id)
    sanction = Sanction.from_wire(txn.get(f"{kind}s", key))
    if sanction is not None and not sanction.active(now):
        txn.delete(f"{kind}s", key)
        return None
    return sanction


def login_refusal(txn: db.Txn, account_id: int) -> str | None:
    """The ``100 winLogin`` message for a banned account; None if it may log in."""
    now = now_ms()
    ban = active(txn, "ban", account_id, now)
    return None if ban is None else moderation.ban_message(ban, now)


def overlay_mute(txn: db.Txn, account_id: int, record: dict) -> None:
    """Put the account's mute (or its absence) into a record about to go to a map."""
    data = record.get("data")
    if not isinstance(data, dict):
        data = record["data"] = {}
    mute = active(txn, "mute", account_id, now_ms())
    if mute is None:
        data.pop(MUTE_FIELD, None)
    else:
        data[MUTE_FIELD] = mute.until_ms


def chat_packet(text: str, color: str) -> bytes:
    return packets.encode(packets.chat(text, packets.CHANNEL_GENERAL, color))


class Sanctions:
    """The moderation actions; ``storage`` is the storage node's handler object."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.actions = {"kick": self.kick, "ban": self.ban, "unban": self.unban, "mute": self.mute,
                        "unmute": self.unmute}

    # --- the ways in -------------------------------------------------------------------
    def in_game(self, txn, out, sender, pid, access, by_name, action, text) -> None:
        """MODERATE from a map worker: /kick, /ban, ... typed by player ``pid``."""
        def tell(message: str, color: str = packets.COLOR_RED) -> None:
            out.append([wire.OUT, [pid], chat_packet(message, color)])
        if action not in moderation.ACCESS or access < moderation.ACCESS[action]:
            refusals("moderation refused", "player %d (access %d) may not %.40r; refused", pid, access, action)
            return  # the worker's table lets no such command through
        by = f"{by_name} (access {access})"
        try:
            if action == "announce":
                self.announce(out, text, by)  # he reads it with everyone else: no confirmation
                return
            order = moderation.parse_order(action, text, lambda name: self.find(txn, name) is not None)
            message = self.actions[action](txn, out, order, by, below=access)
        except (OrderError, ModerationError) as error:
            tell(str(error))
            return
        tell(message, CONFIRM_COLOR)

    def operator(self, action: str):
        """The ``odyssey admin`` handler of one action (``storage.admin.Admin.actions``)."""
        def handle(txn, out, args, reply) -> None:
            by = args.get("by")
            by = f"operator {by}" if isinstance(by, str) and 0 < len(by) <= wire.NAME_BYTES else "operator"
            try:
                if action == "announce":
                    text = args.get("text")
                    reply(True, self.announce(out, text if isinstance(text, str) else "", by))
                    return
                name, duration, reason = args.get("name"), args.get("duration_ms"), args.get("reason", "")
                if not isinstance(name, str) or not name.strip() or not isinstance(reason, str) \
                        or not (duration is None or (type(duration) is int
                                                     and 0 < duration <= moderation.MAX_DURATION_MS)):
                    raise ModerationError(moderation.USAGE[action].replace("Usage: /", "usage: "))
                order = Order(name.strip(), duration if action in moderation.TIMED else None,
                              reason[:moderation.MAX_REASON])
                reply(True, self.actions[action](txn, out, order, by, below=None))
            except ModerationError as error:
                reply(False, str(error))
        return handle

    def list_sanctions(self, txn, out, args, reply) -> None:
        """``odyssey admin bans``: every ban and mute in force."""
        now = now_ms()
        rows = []
        for kind in moderation.KINDS:
            for key, _value in list(txn.items(f"{kind}s")):
                account_id = int.from_bytes(key, "big", signed=True)
                sanction = active(txn, kind, account_id, now)
                if sanction is not None:
                    rows.append({**sanction.to_wire(), "account_id": account_id, "ends": sanction.ends(now)})
        bans = sum(1 for row in rows if row["kind"] == "ban")
        reply(True, f"{bans} bans, {len(rows) - bans} mutes", rows)

    # --- the actions -------------------------------------------------------------------
    def kick(self, txn, out, order: Order, by: str, below: int | None) -> str:
        account_id, record = self.target(txn, order.name, below)
        pid = self.connected(account_id)
        if pid is None:
            raise ModerationError(f"{record['name']} is not online.")
        self.disconnect(out, pid, moderation.kick_message(order.reason))
        log.info("moderation: %s kicked %s (account %d)%s", by, record["name"], account_id, because(order))
        return f"{record['name']} was kicked."

    def ban(self, txn, out, order: Order, by: str, below: int | None) -> str:
        account_id, record = self.target(txn, order.name, below)
        now = now_ms()
        until = None if order.duration_ms is None else now + order.duration_ms
        ban = Sanction("ban", record["name"], order.reason, until, by, now)
        txn.put("bans", db.int_key(account_id), ban.to_wire())
        pid = self.connected(account_id)
        if pid is not None:
            self.disconnect(out, pid, moderation.ban_message(ban, now))
        log.info("moderation: %s banned %s (account %d) %s%s%s", by, record["name"], account_id, ban.ends(now),
                 because(order), "; kicked" if pid is not None else "")
        return f"{record['name']} is banned {ban.ends(now)}{' and was kicked' if pid is not None else ''}."

    def unban(self, txn, out, order: Order, by: str, below: int | None) -> str:
        account_id, record = self.target(txn, order.name, below)
        if active(txn, "ban", account_id, now_ms()) is None:
            raise ModerationError(f"{record['name']} is not banned.")
        txn.delete("bans", db.int_key(account_id))
        log.info("moderation: %s unbanned %s (account %d)", by, record["name"], account_id)
        return f"{record['name']} is no longer banned."

    def mute(self, txn, out, order: Order, by: str, below: int | None) -> str:
        account_id, record = self.target(txn, order.name, below)
        now = now_ms()
        until = None if order.duration_ms is None else now + order.duration_ms
        mute = Sanction("mute", record["name"], order.reason, until, by, now)
        txn.put("mutes", db.int_key(account_id), mute.to_wire())
        ends = "until unmuted" if until is None else f"for {moderation.format_duration(order.duration_ms)}"
        self.tell_player(out, account_id, True, until, f"You have been muted {ends}.")
        log.info("moderation: %s muted %s (account %d) %s", by, record["name"], account_id, mute.ends(now))
        return f"{record['name']} is muted {ends}."

    def unmute(self, txn, out, order: Order, by: str, below: int | None) -> str:
        account_id, record = self.target(txn, order.name, below)
        if active(txn, "mute", account_id, now_ms()) is None:
            raise ModerationError(f"{record['name']} is not muted.")
        txn.delete("mutes", db.int_key(account_id))
        self.tell_player(out, account_id, False, None, "You can chat again.")
        log.info("moderation: %s unmuted %s (account %d)", by, record["name"], account_id)
        return f"{record['name']} can chat again."

    def announce(self, out, text: str, by: str) -> str:
        text = " ".join(text.split())
        if not text or len(text) > moderation.MAX_ANNOUNCE:
            raise ModerationError(f"An announcement is 1 to {moderation.MAX_ANNOUNCE} characters.")
        out.append([wire.OUT_ALL, chat_packet(f"[Announcement] {text}", ANNOUNCE_COLOR)])
        log.info("moderation: %s announced %r", by, text[:80])
        return "Announced to everyone online."

    # --- helpers -------------------------------------------------------------------------
    @staticmethod
    def find(txn, name: str) -> tuple[int, int] | None:
        owner = txn.get("names", db.text_key(name))
        return tuple(owner) if isinstance(owner, list) and len(owner) == 2 else None

    def target(self, txn, name: str, below: int | None) -> tuple[int, dict]:
        """The account and record of the character ``name``; with ``below``, every character of
        that account must have an access level under it (staff cannot sanction their peers)."""
        owner = self.find(txn, name)
        record = None if owner is None else txn.get("characters", db.char_key(*owner))
        if not record:
            raise ModerationError(f"There is no character named {name}.")
        account_id = owner[0]
        if below is not None:
            for slot in range(3):
                other = txn.get("characters", db.char_key(account_id, slot)) or {}
                level = other.get("access", 0)
                if isinstance(level, int) and level >= below:
                    raise ModerationError(f"{record['name']} is staff at your access level or above.")
        return account_id, record

    def connected(self, account_id: int) -> int | None:
        """The pid of the account's connection (logged in, in game or not), if it is still open."""
        accounts = self.storage.accounts
        pid = accounts.online.get(account_id)
        session = None if pid is None else accounts.sessions.get(pid)
        return pid if session is not None and session.logout_deadline_ms is None else None

    @staticmethod
    def disconnect(out: list, pid: int, message: str) -> None:
        """Show the reason (the login window, as at a refused login), then close his connection."""
        out.append([wire.OUT, [pid], packets.encode(packets.window(packets.WIN_LOGIN, message))])
        out.append([wire.CLOSE_PID, pid])

    def tell_player(self, out: list, account_id: int, muted: bool, until: int | None, message: str) -> None:
        """The account's player in game, if any: his worker's record changes, and he is told."""
        pid = self.connected(account_id)
        if pid is None or not self.storage.accounts.sessions[pid].in_game:
            return
        out.append([wire.FOR_PLAYER, pid, wire.MUTED, [muted, until]])
        out.append([wire.OUT, [pid], chat_packet(message, packets.COLOR_RED)])


def because(order: Order) -> str:
    return f" because {order.reason[:80]!r}" if order.reason else ""
