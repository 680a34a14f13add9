"""The LMDB layout: the one place that knows the named databases and their keys.

One environment in ``<data_dir>/lmdb``; every value is msgpack.

| database     | key                                   | value                                            |
|--------------|---------------------------------------|--------------------------------------------------|
| `meta`       | `schema_version`, `next_pid`, `next_account_id`, `world_loaded`, `motd` | int / str   |
| `accounts`   | account id, 8-byte big-endian         | account fields of PROTOCOL 4.1 without `players`, plus `password_hash` |
| `emails`     | lower-cased e-mail, UTF-8             | account id (int)                                 |
| `characters` | account id (8 bytes) + slot (1 byte)  | character record (PROTOCOL 4.2)                  |
| `names`      | lower-cased character name, UTF-8     | [account id, slot]                               |
| `maps`       | map id, 8-byte big-endian signed      | map record (PROTOCOL 4.3)                        |
| `map_state`  | map id                                | {"epoch", "runtime"}: the last checkpoint        |
| `fences`     | map id                                | the newest lease epoch seen for that map (int)   |
| `resources`  | `profession`, `item`, `npc`, `shop`, `quest` | the list                                  |
| `scripts`    | script name, UTF-8                    | script text                                      |
| `bans`       | account id                            | a ban (``cluster.moderation.Sanction`` wire form) |
| `mutes`      | account id                            | a mute (the same shape)                          |
| `quarantine` | script name, UTF-8                    | {"function", "reason", "at_ms"}: disabled until saved again |

``SCHEMA_VERSION`` is stored in `meta`; ``migrate`` brings an older
environment up to date when storage starts.
"""
from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import Any, Iterator

import lmdb
import msgpack

from cluster import wire

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
DATABASES = ("meta", "accounts", "emails", "characters", "names", "maps", "map_state",
             "fences", "resources", "scripts", "bans", "mutes", "quarantine")
RESOURCE_KINDS = ("profession", "item", "npc", "shop", "quest")


pack = wire.packb  # the cluster's one encoder: what workers pack, storage writes byte for byte alike


def unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)


_MAP_STATE_HEAD = b"\x82" + pack("epoch")  # a map of two entries: "epoch", then "runtime"
_RUNTIME_KEY = pack("runtime")


def pack_map_state(epoch: int, runtime: bytes) -> bytes:
    """The ``map_state`` value ``{"epoch": epoch, "runtime": ...}`` around a runtime that is msgpack
    already (``wire.pack_record``): concatenated, so the checkpoint's bytes are never decoded."""
    return _MAP_STATE_HEAD + pack(epoch) + _RUNTIME_KEY + runtime


def int_key(number: int) -> bytes:
    return struct.pack(">q", number)


def char_key(account_id: int, slot: int) -> bytes:
    return struct.pack(">qB", account_id, slot)


def text_key(text: str) -> bytes:
    return text.lower().encode("utf-8")


class Store:
    """The LMDB environment and its named databases."""

    def __init__(self, path: Path, map_size_mb: int = 1024) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.env = lmdb.open(str(path), map_size=map_size_mb * 1024 * 1024, max_dbs=len(DATABASES) + 8,
                             sync=True, metasync=True, writemap=False)
        self.dbs = {name: self.env.open_db(name.encode()) for name in DATABASES}
        self.corrupt_records = 0

    def close(self) -> None:
        self.env.close()

    def write(self) -> "Txn":
        return Txn(self, self.env.begin(write=True))

    def read(self) -> "Txn":
        return Txn(self, self.env.begin(write=False))


class Txn:
    """A transaction with typed helpers; use as a context manager or commit()."""

    def __init__(self, store: Store, txn: lmdb.Transaction) -> None:
        self.store = store
        self.txn = txn

    def __enter__(self) -> "Txn":
        return self

    def __exit__(self, kind, *_rest) -> None:
        if kind is None:
            self.txn.commit()
        else:
            self.txn.abort()

    def commit(self) -> None:
        self.txn.commit()

    def abort(self) -> None:
        self.txn.abort()

    def get(self, db: str, key: bytes, default: Any = None) -> Any:
        raw = self.txn.get(key, db=self.store.dbs[db])
        if raw is None:
            return default
        try:
            return unpack(raw)
        except Exception as error:  # a corrupt record must not stop the worker
            self.store.corrupt_records += 1
            log.error("corrupt record in %s at key %r skipped: %s", db, key, error)
            return default

    def put(self, db: str, key: bytes, value: Any) -> None:
        self.txn.put(key, pack(value), db=self.store.dbs[db])

    def put_packed(self, db: str, key: bytes, packed: bytes) -> None:
        """Store a value that is already msgpack (``wire.pack_record``)."""
        self.txn.put(key, packed, db=self.store.dbs[db])

    def delete(self, db: str, key: bytes) -> None:
        self.txn.delete(key, db=self.store.dbs[db])

    def items(self, db: str) -> Iterator[tuple[bytes, Any]]:
        with self.txn.cursor(db=self.store.dbs[db]) as cursor:
            for key, raw in cursor:
                try:
                    yield key, unpack(raw)
                except Exception as error:
                    self.store.corrupt_records += 1
                    log.error("corrupt record in %s at key %r skipped: %s", db, key, error)

    # --- typed helpers ---------------------------------------------------------
    def meta(self, name: str, default: Any = None) -> Any:
        return self.get("meta", name.encode(), default)

    def set_meta(self, name: str, value: Any) -> None:
        self.put("meta", name.encode(), value)

    def counter(self, name: str, start: int = 1) -> int:
        """Take the next number of a persistent counter; a corrupt one raises
        rather than start again and hand out numbers already in use."""
        if self.txn.get(name.encode(), db=self.store.dbs["meta"]) is not None and self.meta(name) is None:
            raise ValueError(f"counter {name} is corrupt")
        value = self.meta(name, start)
        self.set_meta(name, value + 1)
        return value

    def map_record(self, map_id: int) -> dict | None:
        return self.get("maps", int_key(map_id))

    def map_ids(self) -> list[int]:
        return sorted(struct.unpack(">q", key)[0] for key, _ in self.items("maps"))

    def scripts(self) -> dict[str, str]:
        """Every admin script by name."""
        return {key.decode("utf-8", "replace"): text for key, text in self.items("scripts")
                if isinstance(text, str)}

    def quarantined(self) -> list[list]:
        """[[script, function, reason, at_ms]...]: the scripts disabled until staff save them again."""
        return [[key.decode("utf-8", "replace"), entry.get("function", ""), entry.get("reason", ""),
                 entry.get("at_ms", 0)] for key, entry in self.items("quarantine") if isinstance(entry, dict)]

    def resource(self, kind: str) -> list:
        return self.get("resources", kind.encode(), [])


def migrate(store: Store) -> int:
    """Bring the environment to SCHEMA_VERSION; returns the version found."""
    with store.write() as txn:
        found = txn.meta("schema_version", 0)
        if found > SCHEMA_VERSION:
            raise RuntimeError(f"data directory has schema {found}, newer than this server ({SCHEMA_VERSION})")
        # Version 0 → 1: a fresh environment; nothing to convert yet.
        # Version 1 → 2: the `bans` and `mutes` databases, created empty by ``Store``
        # (an older server refuses an environment that may hold bans it would ignore).
        # Later versions add one step each here, in order.
        if found < SCHEMA_VERSION:
            txn.set_meta("schema_version", SCHEMA_VERSION)
            log.info("storage schema %d → %d", found, SCHEMA_VERSION)
    return found
