"""The world in storage: first-start loading and the resource lists kept hot.

The resource lists go to every player who logs in (102) or enters the game
(103, 104, 105, 139), so storage keeps them in memory with their packets
already encoded.
"""
from __future__ import annotations

import logging
from pathlib import Path

from cluster import packets
from storage import db
from storage.worldcheck import validate_world
from storage.worldfiles import read_scripts, read_world

log = logging.getLogger(__name__)

STARTER_WORLD = Path(__file__).resolve().parent / "starter_world"
# File names of a world directory → the resource kinds of PROTOCOL 4.1.
FILE_KINDS = {"professions": "profession", "items": "item", "npcs": "npc", "shops": "shop",
              "quests": "quest"}


class WorldError(ValueError):
    """A world directory that cannot be loaded."""


def load_into(txn: db.Txn, directory: Path) -> int:
    """Check and write a world directory's maps and resources; returns the number of maps."""
    maps, resources = read_world(directory)
    problems = validate_world(maps, resources)
    if problems:
        shown = "; ".join(problems[:5])
        raise WorldError(f"{directory}: {len(problems)} problems, e.g. {shown}")
    for map_id, record in maps.items():
        txn.put("maps", db.int_key(map_id), record)
    for file_name, kind in FILE_KINDS.items():
        txn.put("resources", kind.encode(), resources.get(file_name, []))
    for name, text in read_scripts(directory).items():
        txn.put("scripts", name.encode("utf-8"), text)
    return len(maps)


def ensure_world(store: db.Store, start_dir: str) -> None:
    """On first start, load the configured (or the bundled starter) world."""
    with store.write() as txn:
        if txn.meta("world_loaded"):
            return
        directory = Path(start_dir) if start_dir else STARTER_WORLD
        count = load_into(txn, directory)
        txn.set_meta("world_loaded", str(directory))
        log.info("loaded the world from %s: %d maps", directory, count)


class WorldCache:
    """Resource lists and their encoded full-list packets."""

    def __init__(self, store: db.Store) -> None:
        self.store = store
        self.lists: dict[str, list] = {}
        self.encoded: dict[str, bytes] = {}
        self.map_ids: set[int] = set()
        self.reload()

    def reload(self) -> None:
        with self.store.read() as txn:
            for kind in db.RESOURCE_KINDS:
                self.lists[kind] = txn.resource(kind)
                self.encoded[kind] = packets.encode(packets.resource_list(kind, self.lists[kind]))
            self.map_ids = set(txn.map_ids())

    @property
    def professions(self) -> list:
        return self.lists["profession"]
