"""Operator tools that work on the LMDB environment itself.

LMDB lets another process read while storage writes, and every read sees one
consistent snapshot, so a backup and a world export can run on the storage
host while the cluster plays. A restore and an offline import need the
cluster stopped.
"""
from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lmdb

from scripting.sandbox import ScriptError, compile_script
from storage import db
from storage.admin import replace_world
from storage.world import FILE_KINDS
from storage.worldcheck import validate_world
from storage.worldfiles import read_scripts, read_world, write_scripts, write_world


class BackupError(Exception):
    """The operation cannot be done; the message says why."""


def lmdb_dir(data_dir: Path) -> Path:
    return data_dir / "lmdb"


def open_existing(data_dir: Path, map_size_mb: int = 1024) -> db.Store:
    path = lmdb_dir(data_dir)
    if not (path / "data.mdb").is_file():
        raise BackupError(f"{path} holds no data (has the cluster ever run with --data-dir {data_dir}?)")
    return db.Store(path, map_size_mb)


def backup(data_dir: Path, target: Path) -> int:
    """A consistent, compacted copy of the environment in one file; returns its size."""
    store = open_existing(data_dir)
    try:
        partial = target.with_name(target.name + ".partial")
        with open(partial, "wb") as handle:
            store.env.copyfd(handle.fileno(), compact=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        store.close()
    return target.stat().st_size


def check_backup(source: Path) -> int:
    """The schema version inside a backup file; raises if it is not one."""
    try:
        env = lmdb.open(str(source), subdir=False, readonly=True, lock=False, max_dbs=len(db.DATABASES) + 2)
    except lmdb.Error as error:
        raise BackupError(f"{source} is not a backup of an Odyssey data directory: {error}") from None
    try:
        meta = env.open_db(b"meta", create=False)
        with env.begin() as txn:
            raw = txn.get(b"schema_version", db=meta)
    except lmdb.Error:
        raw = None
    finally:
        env.close()
    if raw is None:
        raise BackupError(f"{source} is not a backup of an Odyssey data directory")
    return db.unpack(raw)


def restore(source: Path, data_dir: Path) -> Path | None:
    """Put a backup in place of a stopped data directory's environment.

    The environment it replaces is kept beside it; returns where (or None).
    """
    version = check_backup(source)
    if version > db.SCHEMA_VERSION:
        raise BackupError(f"{source} has schema {version}, newer than this server's {db.SCHEMA_VERSION}")
    target = lmdb_dir(data_dir)
    kept = None
    if target.exists():
        kept = target.with_name(f"lmdb.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
        target.rename(kept)
    target.mkdir(parents=True)
    shutil.copyfile(source, target / "data.mdb")
    return kept


def export_world(data_dir: Path, directory: Path) -> int:
    """Write the maps and resource lists of a data directory as world files."""
    store = open_existing(data_dir)
    try:
        with store.read() as txn:
            maps = {map_id: txn.map_record(map_id) for map_id in txn.map_ids()}
            resources = {file_name: txn.resource(kind) for file_name, kind in FILE_KINDS.items()}
            scripts = txn.scripts()
    finally:
        store.close()
    write_world(directory, maps, resources)
    write_scripts(directory, scripts)
    return len(maps)


PROOFS_AT_ONCE = 2  # scripts proven in parallel by a world import (one child process each)


def load_world_dir(directory: Path, limits=None) -> tuple[dict, dict, dict | None]:
    """Read and check world files: (maps, resources, scripts, or None when the
    directory has no ``scripts/`` folder); raises BackupError with the problems.
    With ``limits`` (the config's ``scripting`` section) every script is also
    proven, as type 26 proves it: its module body run in a disposable process."""
    try:
        maps, resources = read_world(directory)
        scripts = read_scripts(directory) if (Path(directory) / "scripts").is_dir() else None
    except ValueError as error:
        raise BackupError(str(error)) from None
    problems = validate_world(maps, resources) + script_problems(scripts or {}, limits)
    if problems:
        raise BackupError(f"{directory}: {len(problems)} problems, e.g. {'; '.join(problems[:3])}")
    return maps, resources, scripts


def script_problems(scripts: dict[str, str], limits=None) -> list[str]:
    """Scripts the sandbox would refuse (or, with ``limits``, that fail their proof), one line each."""
    if limits is None:
        problems = []
        for name, text in scripts.items():
            try:
                compile_script(name, text)
            except ScriptError as error:
                problems.append(str(error))
        return problems
    from scripting.prove import prove

    def proof(item: tuple[str, str]) -> ScriptError | None:
        return prove(item[0], item[1], cpu_s=limits.prove_cpu_s, wall_s=limits.prove_wall_s,
                     memory_mb=limits.prove_memory_mb, budget_ms=limits.budget_ms,
                     script_memory_kb=limits.script_memory_kb)
    with ThreadPoolExecutor(max_workers=PROOFS_AT_ONCE) as pool:
        return [str(error) for error in pool.map(proof, scripts.items()) if error is not None]


def import_world_offline(data_dir: Path, maps: dict, resources: dict, scripts: dict | None = None) -> int:
    """Replace the world of a stopped data directory in one transaction."""
    store = db.Store(lmdb_dir(data_dir))
    try:
        db.migrate(store)
        with store.write() as txn:
            replace_world(txn, maps, resources, scripts)
            txn.set_meta("world_loaded", "import")
    finally:
        store.close()
    return len(maps)
