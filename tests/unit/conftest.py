"""Fixtures of the unit tests that need a real storage worker object (no process, no socket)."""
from __future__ import annotations

import pytest

from cluster.config import Config
from storage import db
from storage.node import Jobs, Storage
from storage.world import ensure_world


@pytest.fixture
def storage(tmp_path):
    config = Config()
    config.cluster.data_dir = str(tmp_path)
    store = db.Store(tmp_path / "lmdb")
    db.migrate(store)
    ensure_world(store, "")
    jobs = Jobs(1)
    yield Storage(config, store, jobs)
    jobs.close()
    store.close()
