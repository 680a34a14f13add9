"""Saves from the in-game editors (PROTOCOL 2.3: types 12, 13, 14, 15, 18, 26).

The map worker checked the sender's access and the record's shape; storage
writes it in the turn's transaction and, once that is committed, tells the
players: the map's owner applies a saved map, everyone online gets a changed
resource entry, every map worker gets it too.
"""
from __future__ import annotations

import logging

from cluster import packets, wire
from storage import db

log = logging.getLogger(__name__)

KINDS = ("item", "npc", "shop", "profession")


class Editors:
    """The editor saves; ``storage`` is the storage node's handler object."""

    def __init__(self, storage) -> None:
        self.storage = storage

    def save_map(self, txn: db.Txn, out: list, sender: str, pid: int, map_id: int, record: dict) -> None:
        if not isinstance(map_id, int) or not isinstance(record, dict):
            return
        txn.put("maps", db.int_key(map_id), record)
        log.info("player %d saved map %d", pid, map_id)
        out.append([wire.FOR_MAP, map_id, wire.MAP_SAVED, [pid, record]])

    def save_resource(self, txn: db.Txn, out: list, sender: str, pid: int, kind: str, index: int,
                      record: dict) -> None:
        if kind not in KINDS or not isinstance(record, dict):
            return
        entries = list(txn.resource(kind))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= len(entries):
            out.append([wire.OUT, [pid], packets.encode(packets.chat(
                f"There is no {kind} {index} to save (the list has {len(entries)}).", color="#ff0000"))])
            return
        if index == len(entries):
            entries.append(record)
        else:
            entries[index] = record
        txn.put("resources", kind.encode(), entries)
        self.storage.lists_changed = True
        log.info("player %d saved %s %d", pid, kind, index)
        single = packets.encode(packets.resource_single(kind, index, record))
        editor_done = [wire.OUT, [pid], packets.encode(packets.window(packets.WIN_GAME, ""))]
        if kind == "shop":  # PROTOCOL 2.3: the editor's window first, then everyone
            out.append(editor_done)
        out.append([wire.OUT_ALL, single])
        if kind == "profession":  # ... and here everyone first, then the editor
            out.append(editor_done)
        out.append([wire.RESOURCE_CHANGED, kind, index, record])

    def save_script(self, txn: db.Txn, out: list, sender: str, pid: int, name: str, text: str) -> None:
        """Type 26: save (or, with an empty text, delete) a script; every map worker reloads it."""
        if not isinstance(name, str) or not isinstance(text, str):
            return
        key = name.encode("utf-8")
        if text.strip():
            txn.put("scripts", key, text)
            log.info("player %d saved script %r", pid, name)
        else:
            if txn.get("scripts", key) is not None:
                txn.delete("scripts", key)
            text = ""
            log.info("player %d deleted script %r", pid, name)
        out.append([wire.OUT, [pid], packets.encode(packets.window(packets.WIN_GAME, ""))])
        out.append([wire.SCRIPT_CHANGED, name, text])
