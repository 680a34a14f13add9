"""Operator requests (``odyssey admin ...``, ``odyssey world import``) served by storage.

Each arrives as ADMIN through the broker, is applied in the turn's write
transaction, and is answered (ADMIN_REPLY) only after that transaction is
committed. Nothing here logs a password, a hash or a whole account.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any

from cluster import moderation, packets, wire
from storage import db
from storage.world import FILE_KINDS
from storage.worldcheck import validate_world

log = logging.getLogger(__name__)

MAX_ACCESS = 10
MAX_MOTD = 500


class AdminError(Exception):
    """A request that cannot be done; its message goes back to the operator."""


class Reply:
    """Answers one operator request, now or from a later turn."""

    def __init__(self, out: list, client: bytes, request_id: str) -> None:
        self.out = out
        self.client = client
        self.request_id = request_id

    def __call__(self, ok: bool, message: str, data: Any = None, out: list | None = None) -> None:
        (self.out if out is None else out).append(
            [wire.ADMIN_REPLY, self.client, self.request_id, ok, message, data])


class Admin:
    """The operator actions; ``storage`` is the storage node's handler object."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.actions = {"set_access": self.set_access, "motd": self.motd, "accounts": self.accounts,
                        "reset_password": self.reset_password, "world_import": self.world_import,
                        "bans": storage.sanctions.list_sanctions}
        for action in moderation.ACTIONS:  # kick, ban, unban, mute, unmute, announce (storage.sanctions)
            self.actions[action] = storage.sanctions.operator(action)

    def handle(self, txn: db.Txn, out: list, client: bytes, request_id: str, action: str, args: Any) -> None:
        reply = Reply(out, client, request_id)
        handler = self.actions.get(action)
        if handler is None or not isinstance(args, dict):
            reply(False, f"unknown request {action!r}")
            return
        try:
            handler(txn, out, args, reply)
        except AdminError as error:
            reply(False, str(error))

    def set_access(self, txn, out, args, reply) -> None:
        name, level = args.get("name"), args.get("level")
        if not isinstance(name, str) or not isinstance(level, int) or isinstance(level, bool) \
                or not 0 <= level <= MAX_ACCESS:
            raise AdminError(f"usage: set-access NAME LEVEL (LEVEL 0 to {MAX_ACCESS})")
        owner = txn.get("names", db.text_key(name))
        if owner is None:
            raise AdminError(f"no character is named {name!r}")
        account_id, slot = owner
        key = db.char_key(account_id, slot)
        record = txn.get("characters", key)
        if record is None:
            raise AdminError(f"the record of {name!r} is unreadable")
        before = record.get("access", 0)
        record["access"] = level
        txn.put("characters", key, record)
        online = self.storage.accounts.playing(account_id, slot)
        if online is not None:
            out.append([wire.FOR_PLAYER, online, wire.UPDATE, [{"access": level}]])
        log.info("operator set the access of a character (account %d slot %d): %d → %d",
                 account_id, slot, before, level)
        reply(True, f"{record['name']}: access {before} → {level}{' (online now)' if online else ''}")

    def set_access_in_game(self, txn, out, sender, pid, sender_access, name, level) -> None:
        """/setaccess NAME LEVEL from a player (PROTOCOL 5.8 row 7), capped at the sender's level."""
        def tell(text: str, color: str) -> None:
            out.append([wire.OUT, [pid], packets.encode(packets.chat(text, packets.CHANNEL_GENERAL, color))])
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= sender_access:
            tell(f"You can set an access level from 0 to {sender_access}.", "#ff0000")
            return
        owner = txn.get("names", db.text_key(name)) if isinstance(name, str) else None
        record = None if owner is None else txn.get("characters", db.char_key(*owner))
        if record is None:
            tell(f"There is no character named {name}.", "#ff0000")
            return
        if record.get("access", 0) > sender_access:
            tell(f"{record['name']} has a higher access level than you.", "#ff0000")
            return
        record["access"] = level
        txn.put("characters", db.char_key(*owner), record)
        online = self.storage.accounts.playing(*owner)
        if online is not None:
            out.append([wire.FOR_PLAYER, online, wire.UPDATE, [{"access": level}]])
        log.info("player %d set the access of a character (account %d slot %d) to %d", pid, *owner, level)
        tell(f"{record['name']}'s access level is now {level}.", "#0000ff")

    def motd(self, txn, out, args, reply) -> None:
        text = args.get("text")
        if not isinstance(text, str) or len(text) > MAX_MOTD:
            raise AdminError(f"usage: motd TEXT (at most {MAX_MOTD} characters; \"\" clears it)")
        txn.set_meta("motd", text)
        reply(True, f"message of the day set to {text!r}" if text else "message of the day cleared")

    def accounts(self, txn, out, args, reply) -> None:
        rows = []
        for key, account in txn.items("accounts"):
            account_id = int.from_bytes(key, "big", signed=True)
            characters = []
            for slot in range(3):
                record = txn.get("characters", db.char_key(account_id, slot)) or {}
                if record.get("name"):
                    characters.append({"slot": slot, "name": record["name"], "level": record.get("level", 1),
                                       "access": record.get("access", 0)})
            rows.append({"account_id": account_id, "email": account.get("email", ""),
                         "last_login": account.get("last_login", ""), "characters": characters,
                         "online": account_id in self.storage.accounts.online})
        reply(True, f"{len(rows)} accounts", rows)

    def reset_password(self, txn, out, args, reply) -> None:
        email = args.get("email")
        account_id = txn.get("emails", db.text_key(email)) if isinstance(email, str) else None
        if account_id is None:
            raise AdminError(f"no account has the e-mail address {email!r}")
        password = secrets.token_urlsafe(9)
        hasher = self.storage.accounts.hasher

        def store(txn2, out2, digest) -> None:
            if isinstance(digest, Exception):
                reply(False, "hashing the new password failed; nothing changed", out=out2)
                return
            account = txn2.get("accounts", db.int_key(account_id))
            account["password_hash"] = digest
            txn2.put("accounts", db.int_key(account_id), account)
            log.info("operator reset the password of account %d", account_id)
            reply(True, f"password of {email} reset; give the player the new password",
                  {"password": password}, out=out2)
        self.storage.jobs.submit(hasher.hash, (password,), store)

    def world_import(self, txn, out, args, reply) -> None:
        maps, resources = args.get("maps"), args.get("resources")
        if not isinstance(maps, dict) or not isinstance(resources, dict):
            raise AdminError("world import needs maps and resources")
        maps = {int(map_id): record for map_id, record in maps.items()}
        problems = validate_world(maps, resources)
        if problems:
            raise AdminError(f"the world has {len(problems)} problems, e.g. {'; '.join(problems[:3])}")
        scripts = args.get("scripts")
        if scripts is not None and not (isinstance(scripts, dict) and all(
                isinstance(name, str) and isinstance(text, str) for name, text in scripts.items())):
            raise AdminError("world import: scripts must map names to texts")
        for name, text in replace_world(txn, maps, resources, scripts).items():
            out.append([wire.SCRIPT_CHANGED, name, text])
        self.storage.world_changed = True
        out.append([wire.RELOAD_WORLD])
        log.info("operator imported a world: %d maps", len(maps))
        reply(True, f"imported {len(maps)} maps; every map in play reloads now")


def replace_world(txn: db.Txn, maps: dict[int, dict], resources: dict[str, list],
                  scripts: dict[str, str] | None = None) -> dict[str, str]:
    """Replace every map and resource list (and, unless None, every script) in one transaction.

    Returns the scripts that changed, name → new text ("" when deleted), for the map workers.
    """
    for map_id in txn.map_ids():
        if map_id not in maps:
            txn.delete("maps", db.int_key(map_id))
            txn.delete("map_state", db.int_key(map_id))
    for map_id, record in maps.items():
        txn.put("maps", db.int_key(map_id), record)
    for file_name, kind in FILE_KINDS.items():
        txn.put("resources", kind.encode(), resources.get(file_name, []))
    if scripts is None:
        return {}
    current = txn.scripts()
    changed = {name: "" for name in current if name not in scripts}
    changed.update({name: text for name, text in scripts.items() if current.get(name) != text})
    for name, text in changed.items():
        if text:
            txn.put("scripts", name.encode("utf-8"), text)
        else:
            txn.delete("scripts", name.encode("utf-8"))
    return changed


def resource_broadcasts(world) -> list[list]:
    """The full lists again, for everyone online, after the world changed."""
    return [[wire.OUT_ALL, world.encoded[kind]] for kind in ("profession", "item", "npc", "shop", "quest")]

