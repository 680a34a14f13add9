"""Saves from the in-game editors (PROTOCOL 2.3: types 12, 13, 14, 15, 18, 26).

The map worker checked the sender's access and the record's shape; storage
writes it in the turn's transaction and, once that is committed, tells the
players: the map's owner applies a saved map, everyone online gets a changed
resource entry, every map worker gets it too.
"""
from __future__ import annotations

import logging

from cluster import packets, wire
from cluster.logs import RateLimitedLog
from scripting.prove import prove
from scripting.sandbox import ScriptError
from storage import db

log = logging.getLogger(__name__)

KINDS = ("item", "npc", "shop", "profession")
MAX_PROVING = 8  # scripts being proven at once (each a process of up to prove_memory_mb); more are refused


class Editors:
    """The editor saves; ``storage`` is the storage node's handler object."""

    def __init__(self, storage) -> None:
        self.storage = storage
        self.proving = 0
        self.refused = RateLimitedLog(log, level=logging.INFO)  # a flood of bad saves is one line per 10 s

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
        """Type 26: save (or, with an empty text, delete) a script; every map worker reloads it.

        A script is proven before it is saved: compiled and its module body run in a disposable
        process with hard limits (``scripting.prove``), on a job thread. If it fails, the editor
        gets one red notice naming the line and the reason, and the running version stays."""
        if not text.strip():
            self.store_script(txn, out, pid, name, "")
            return
        if self.proving >= MAX_PROVING:
            self.refused("script busy", "player %d saved script %.40r; refused: %d others are being checked",
                         pid, name, self.proving)
            out.append([wire.OUT, [pid], packets.encode(packets.chat(
                f"Script {name} was not saved: other scripts are being checked; try again in a moment.",
                color=packets.COLOR_RED))])
            return
        self.proving += 1
        limits = self.storage.config.scripting
        self.storage.jobs.submit(
            prove, (name, text), lambda txn2, out2, error: self.proven(txn2, out2, pid, name, text, error),
            kwargs={"cpu_s": limits.prove_cpu_s, "wall_s": limits.prove_wall_s, "memory_mb": limits.prove_memory_mb,
                    "budget_ms": limits.budget_ms, "script_memory_kb": limits.script_memory_kb})

    def proven(self, txn: db.Txn, out: list, pid: int, name: str, text: str, error) -> None:
        self.proving -= 1
        if error is not None:
            self.refused("script refused", "player %d saved script %.40r; refused: %.200s", pid, name, error)
            out.append([wire.OUT, [pid], packets.encode(packets.chat(
                f"Script {name} was not saved: {error}" if isinstance(error, ScriptError)
                else f"Script {name} was not saved: it could not be checked ({type(error).__name__}).",
                color=packets.COLOR_RED))])
            return
        self.store_script(txn, out, pid, name, text)

    def store_script(self, txn: db.Txn, out: list, pid: int, name: str, text: str) -> None:
        key = name.encode("utf-8")
        if text:
            txn.put("scripts", key, text)
            log.info("player %d saved script %r", pid, name)
        else:
            if txn.get("scripts", key) is not None:
                txn.delete("scripts", key)
            log.info("player %d deleted script %r", pid, name)
        if txn.get("quarantine", key) is not None:
            txn.delete("quarantine", key)  # saved again by staff: out of quarantine
        out.append([wire.OUT, [pid], packets.encode(packets.window(packets.WIN_GAME, ""))])
        out.append([wire.SCRIPT_CHANGED, name, text])
