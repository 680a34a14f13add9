"""The storage worker: the only writer of the LMDB environment.

Each loop turn drains the broker socket and the finished password jobs,
applies everything in one write transaction, commits it (synced to disk),
and only then sends the replies of that turn.
"""
from __future__ import annotations

import collections
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import argon2

from cluster import records, wire
from cluster.config import Config
from cluster.counters import Histogram, by_type, count_type, payload_type
from cluster.link import BrokerLink, now_ms
from cluster.lockfile import DataDirInUse, DataDirLock, in_use_message
from cluster.loop import NodeSocket
from cluster.logs import RateLimitedLog
from storage import db
from storage.accounts import Accounts, clean_settings
from storage.admin import Admin, resource_broadcasts
from storage.editors import Editors
from storage.sanctions import Sanctions, overlay_mute
from storage.world import WorldCache, ensure_world

log = logging.getLogger(__name__)

CONFIG_ERROR_EXIT = 2  # the supervisor does not restart a node that exits with this


class Hasher:
    """argon2id hashing and checking; called from the job threads only."""

    def __init__(self, config: Config) -> None:
        settings = config.storage
        self.hasher = argon2.PasswordHasher(time_cost=settings.argon2_time_cost,
                                            memory_cost=settings.argon2_memory_kib,
                                            parallelism=settings.argon2_parallelism)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, digest: str, password: str) -> bool:
        try:
            return self.hasher.verify(digest, password)
        except argon2.exceptions.VerificationError:
            return False
        except argon2.exceptions.InvalidHashError:
            return False


class Jobs:
    """A thread pool whose results come back to the loop through a pipe."""

    def __init__(self, threads: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hash")
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.done: collections.deque = collections.deque()
        self.pending = 0  # submitted and not yet taken back by the loop

    def submit(self, function: Callable, args: tuple, continuation: Callable, kwargs: dict | None = None) -> None:
        self.pending += 1

        def finished(future) -> None:
            if future.cancelled():  # the node is closing: nobody waits for it
                return
            error = future.exception()
            self.done.append((continuation, error if error is not None else future.result()))
            os.write(self.write_fd, b"!")
        self.pool.submit(function, *args, **(kwargs or {})).add_done_callback(finished)

    def take(self) -> list:
        try:
            while os.read(self.read_fd, 4096):
                pass
        except BlockingIOError:
            pass
        finished = []
        while self.done:
            finished.append(self.done.popleft())
        self.pending -= len(finished)
        return finished

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        os.close(self.read_fd)
        os.close(self.write_fd)


class Storage:
    """Handlers of the commands storage receives."""

    def __init__(self, config: Config, store: db.Store, jobs: Jobs) -> None:
        self.config = config
        self.store = store
        self.world = WorldCache(store)
        self.jobs = jobs
        self.accounts = Accounts(self.world, jobs, Hasher(config), self.motd, config.storage.account_queue_limit)
        self.sanctions = Sanctions(self)
        self.admin = Admin(self)
        self.editors = Editors(self)
        self.lists_changed = False
        self.refused_checkpoints = 0
        self.checkpoint_writes = 0
        self.commit_seconds = Histogram()  # each write transaction's commit (synced to disk)
        self.checkpoint_seconds = Histogram()  # each CKPT: start of its turn → its commit
        self.packets_in: dict = {}  # account packets by type
        self.packets_out: dict = {}  # client packets sent, by type (once per payload)
        self.world_changed = False
        self.complain = RateLimitedLog(log)
        self.handlers = {
            wire.ACCT: self.on_account, wire.LOGOUT: self.on_logout, wire.SESSIONS: self.on_sessions,
            wire.LOAD_MAP: self.on_load_map, wire.CKPT: self.on_checkpoint,
            wire.SAVE_PLAYER: self.on_save_player, wire.SETTINGS: self.on_settings,
            wire.ADMIN: self.admin.handle, wire.SET_ACCESS: self.admin.set_access_in_game,
            wire.GET_MAP: self.on_get_map, wire.GET_SCRIPT: self.on_get_script,
            wire.SAVE_MAP: self.editors.save_map, wire.SAVE_RESOURCE: self.editors.save_resource,
            wire.SAVE_SCRIPT: self.editors.save_script, wire.MODERATE: self.sanctions.in_game,
            wire.QUARANTINE: self.on_quarantine,
        }

    def stats(self) -> dict:
        return {"checkpoint_writes": self.checkpoint_writes, "refused_checkpoints": self.refused_checkpoints,
                "account_queue": self.jobs.pending, "busy_refusals": self.accounts.busy_refusals,
                "sessions": len(self.accounts.sessions), "corrupt_records": self.store.corrupt_records,
                "packets_in": by_type(self.packets_in), "packets_out": by_type(self.packets_out),
                "commit_seconds": self.commit_seconds.to_wire(),
                "checkpoint_seconds": self.checkpoint_seconds.to_wire()}

    def timed_turn(self, commands: list, started: float, applied: float, committed: float) -> None:
        """Count a committed turn: its commit time, and how long each checkpoint took to be durable."""
        self.commit_seconds.observe(committed - applied)
        for command in commands:
            if command[0] == wire.CKPT:
                self.checkpoint_seconds.observe(committed - started)

    def count_out(self, command: list) -> None:
        if command[0] == wire.OUT_CONN:
            count_type(self.packets_out, payload_type(command[3]))
        elif command[0] == wire.OUT_ALL:
            count_type(self.packets_out, payload_type(command[1]))

    def after_commit(self, out: list) -> None:
        """Work that must see the committed state: a replaced world is reloaded and re-sent."""
        if self.world_changed:
            self.world_changed = False
            self.lists_changed = False
            self.world.reload()
            out.extend(resource_broadcasts(self.world))
        elif self.lists_changed:
            self.lists_changed = False
            self.world.reload()

    def motd(self) -> str:
        with self.store.read() as txn:
            return txn.meta("motd", self.config.world.motd)

    def dispatch(self, txn: db.Txn, out: list, command: list) -> None:
        """One command, already checked against ``wire.TO_STORAGE`` by the link."""
        handler = self.handlers.get(command[0])
        if handler is None:
            return  # the link's own (HB, WHO)
        try:
            handler(txn, out, *command[1:])
        except Exception:  # one bad command must not stop storage
            self.complain(f"{command[0]} failed", "%s failed", command[0], exc_info=True)

    def on_account(self, txn, out, edge, conn, pid, packet_type, raw) -> None:
        count_type(self.packets_in, packet_type)
        self.accounts.handle(txn, out, edge, conn, packet_type, raw)

    def on_logout(self, txn, out, pid, in_game) -> None:
        self.accounts.logout(pid, in_game, now_ms() + self.config.storage.logout_save_timeout_ms)

    def on_sessions(self, txn, out, live) -> None:
        self.accounts.reconcile(live)

    def fenced(self, txn: db.Txn, out: list, map_id: int, epoch: int, what: str, sender: str) -> bool:
        """True (and the broker told, so it moves the stale lease) if ``epoch`` is older than the map's fence."""
        current = txn.get("fences", db.int_key(map_id), 0)
        if epoch < current:
            self.refused_checkpoints += 1
            self.complain(f"fenced {sender}", "refused %s of map %s from %s: epoch %s is older than "
                          "the lease's %s", what, map_id, sender, epoch, current)
            out.append([wire.FENCED, map_id, sender, epoch, current])
            return True
        return False

    def on_load_map(self, txn, out, sender, map_id, epoch, pids) -> None:
        key = db.int_key(map_id)
        if epoch > txn.get("fences", key, 0):
            txn.put("fences", key, epoch)
        map_record = txn.map_record(map_id) or records.new_map()
        state = txn.get("map_state", key)
        runtime = state["runtime"] if state else None
        players = []
        for pid in pids:
            session = self.accounts.sessions.get(pid)
            if session is None or session.slot is None:
                continue
            char_key = [session.account_id, session.slot]
            record = txn.get("characters", db.char_key(*char_key))
            if record:
                record["pos"]["map_id"] = map_id
                overlay_mute(txn, session.account_id, record)
                players.append([pid, char_key, record])
        world = {"map_ids": sorted(self.world.map_ids), "shops": self.world.lists["shop"],
                 "items": self.world.lists["item"], "professions": self.world.professions,
                 "npcs": self.world.lists["npc"], "scripts": txn.scripts(),
                 "quarantined": {script: reason for script, _function, reason, _at in txn.quarantined()}}
        out.append([wire.TO, sender, [wire.MAP_LOADED, map_id, epoch, map_record, runtime, players, world]])

    def on_checkpoint(self, txn, out, sender, map_id, epoch, runtime, players) -> None:
        if self.fenced(txn, out, map_id, epoch, "a checkpoint", sender):
            return
        if runtime is not None:  # msgpack bytes (wire.pack_record), like the records: stored as they are
            txn.put_packed("map_state", db.int_key(map_id), db.pack_map_state(epoch, runtime))
        for _pid, char_key, record in players:
            txn.put_packed("characters", db.char_key(*char_key), record)
        self.checkpoint_writes += (runtime is not None) + len(players)

    def on_quarantine(self, txn, out, script, function, reason) -> None:
        """The broker disabled a script on every worker: keep it so until staff save it again."""
        txn.put("quarantine", script.encode("utf-8"), {"function": function, "reason": reason,
                                                        "at_ms": int(time.time() * 1000)})

    def announce(self) -> dict:
        """What storage tells a (re)started broker: the quarantined scripts, for its status view."""
        with self.store.read() as txn:
            return {"quarantined": txn.quarantined()}

    def on_get_map(self, txn, out, sender, pid, map_id) -> None:
        """/copymap: any map of the world, for one player."""
        record = txn.map_record(map_id) if wire.integer(map_id) else None
        out.append([wire.FOR_PLAYER, pid, wire.COPYMAP, [map_id, record]])

    def on_get_script(self, txn, out, sender, pid, name) -> None:
        """/editscript: the script's text, "" if there is none."""
        text = txn.get("scripts", name.encode("utf-8"), "") if isinstance(name, str) else ""
        out.append([wire.FOR_PLAYER, pid, wire.SCRIPT, [name, text if isinstance(text, str) else ""]])

    def on_settings(self, txn, out, sender, account_id, settings) -> None:
        key = db.int_key(account_id)
        account = txn.get("accounts", key)
        if account is None or not isinstance(settings, dict):
            return
        account["settings"] = clean_settings(settings, account.get("settings") or {})
        txn.put("accounts", key, account)

    def on_save_player(self, txn, out, sender, pid, char_key, map_id, epoch, record, final) -> None:
        if record is not None and char_key and not self.fenced(txn, out, map_id, epoch, "a player save", sender):
            txn.put("characters", db.char_key(*char_key), record)
            self.checkpoint_writes += 1
        if final:
            session = self.accounts.sessions.get(pid)
            if session is not None and session.logout_deadline_ms is not None:
                self.accounts.release(session)


def run(config: Config, name: str = "storage") -> None:
    """Serve until SIGTERM / SIGINT, then commit and close."""
    try:  # one writer of the LMDB environment, whatever else runs on this data directory
        lock = DataDirLock(config.data_dir / "storage.lock").acquire(what=f"storage node {name}")
    except DataDirInUse as busy:
        log.error("%s", in_use_message(config.data_dir, busy.holder))
        raise SystemExit(CONFIG_ERROR_EXIT)
    store = db.Store(config.data_dir / "lmdb", config.storage.map_size_mb)
    db.migrate(store)
    try:
        ensure_world(store, config.world.start_dir)
    except ValueError as error:  # WorldError, or a malformed world file
        log.error("cannot load the world: %s", error)
        store.close()
        raise SystemExit(CONFIG_ERROR_EXIT)
    jobs = Jobs(config.storage.hash_threads)
    storage = Storage(config, store, jobs)
    link = BrokerLink(wire.ROLE_STORAGE, name, config.heartbeat.interval_ms, config.heartbeat.liveness,
                      storage.announce, storage.stats)
    node = NodeSocket(config, link, extra_fds=(jobs.read_fd,))
    log.info("storage %s serving %s (broker %s)", name, config.data_dir / "lmdb", config.broker_endpoint)
    while not node.stopping:
        commands = node.wait(now_ms() + 100)
        node.lifeline.doing = ("applying %d commands", len(commands))
        finished = jobs.take()
        storage.accounts.expire(now_ms())
        if commands or finished:
            out: list = []
            started = time.perf_counter()
            with store.write() as txn:
                for command in commands:
                    storage.dispatch(txn, out, command)
                for continuation, result in finished:
                    try:
                        continuation(txn, out, result)
                    except Exception:
                        log.exception("a password job's continuation failed")
                applied = time.perf_counter()
            storage.timed_turn(commands, started, applied, time.perf_counter())
            storage.after_commit(out)
            for command in out:  # the transaction is committed: now acknowledge
                storage.count_out(command)
                link.queue(command)
        node.send()
    log.info("storage stopping: committing and closing")
    jobs.close()
    link.bye()
    node.close()
    store.close()
    lock.release()
