"""storage.db: the LMDB layout, typed helpers, corrupt records and migration (real LMDB in tmp)."""
from __future__ import annotations

import logging

import pytest

from storage import db


@pytest.fixture
def store(tmp_path):
    opened = db.Store(tmp_path / "lmdb", map_size_mb=16)
    yield opened
    opened.close()


def _put_raw(store: db.Store, name: str, key: bytes, raw: bytes) -> None:
    """Write bytes that bypass msgpack, straight through the lmdb API."""
    with store.env.begin(write=True) as txn:
        txn.put(key, raw, db=store.dbs[name])


def test_every_database_is_opened(store):
    assert set(store.dbs) == set(db.DATABASES)


def test_put_get_delete_round_trip(store):
    account = {"email": "a@b.c", "settings": {"font_size": 2}, "password_hash": "$x", "blob": b"\x00\x01"}
    with store.write() as txn:
        txn.put("accounts", db.int_key(1), account)
    with store.read() as txn:
        assert txn.get("accounts", db.int_key(1)) == account
        assert txn.get("accounts", db.int_key(2)) is None
        assert txn.get("accounts", db.int_key(2), "none") == "none"
    with store.write() as txn:
        txn.delete("accounts", db.int_key(1))
    with store.read() as txn:
        assert txn.get("accounts", db.int_key(1)) is None


def test_databases_are_separate(store):
    with store.write() as txn:
        txn.put("maps", db.int_key(1), {"name": "map"})
        txn.put("map_state", db.int_key(1), {"epoch": 3})
    with store.read() as txn:
        assert txn.get("maps", db.int_key(1)) == {"name": "map"}
        assert txn.get("map_state", db.int_key(1)) == {"epoch": 3}
        assert txn.get("fences", db.int_key(1)) is None


def test_an_exception_aborts_the_write(store):
    with pytest.raises(RuntimeError):
        with store.write() as txn:
            txn.put("scripts", b"attack", "def handleAttack(): pass")
            raise RuntimeError("boom")
    with store.read() as txn:
        assert txn.get("scripts", b"attack") is None


def test_keys():
    assert db.int_key(1) == (1).to_bytes(8, "big")
    assert db.int_key(-1) == b"\xff" * 8
    assert db.char_key(7, 2) == (7).to_bytes(8, "big") + b"\x02"
    assert db.text_key("Some.One@Example.COM") == b"some.one@example.com"
    assert db.text_key("Ödön") == "ödön".encode("utf-8")


def test_meta_and_resources_and_maps(store):
    with store.write() as txn:
        txn.set_meta("motd", "Welcome")
        txn.put("resources", b"profession", [{"name": "Warrior"}])
        for map_id in (10, 0, 3, -2):
            txn.put("maps", db.int_key(map_id), {"name": f"m{map_id}"})
    with store.read() as txn:
        assert txn.meta("motd") == "Welcome"
        assert txn.meta("absent", "dflt") == "dflt"
        assert txn.resource("profession") == [{"name": "Warrior"}]
        assert txn.resource("quest") == []
        assert txn.map_record(3) == {"name": "m3"}
        assert txn.map_record(4) is None
        assert txn.map_ids() == [-2, 0, 3, 10]


def test_counter_counts_and_persists(tmp_path):
    path = tmp_path / "lmdb"
    store = db.Store(path, map_size_mb=16)
    with store.write() as txn:
        assert [txn.counter("next_pid") for _ in range(3)] == [1, 2, 3]
        assert txn.counter("next_account_id", start=100) == 100
    store.close()
    reopened = db.Store(path, map_size_mb=16)
    with reopened.write() as txn:
        assert txn.counter("next_pid") == 4
        assert txn.counter("next_account_id", start=100) == 101
    reopened.close()


def test_counter_taken_in_an_aborted_txn_is_not_used_up(store):
    txn = store.write()
    assert txn.counter("next_pid") == 1
    txn.abort()
    with store.write() as txn:
        assert txn.counter("next_pid") == 1


@pytest.mark.parametrize("garbage", [b"\xc1", b"\x92\x01", b"\x01\x02\x03", b"\xdb\xff\xff\xff\xff"])
def test_corrupt_record_is_reported_and_skipped(store, garbage, caplog):
    _put_raw(store, "characters", db.char_key(1, 0), garbage)
    with caplog.at_level(logging.ERROR):
        with store.read() as txn:
            assert txn.get("characters", db.char_key(1, 0)) is None
            assert txn.get("characters", db.char_key(1, 0), {"name": ""}) == {"name": ""}
    assert store.corrupt_records == 2
    assert any("corrupt" in record.getMessage() for record in caplog.records)


def test_corrupt_record_in_iteration_is_skipped(store):
    with store.write() as txn:
        for map_id in (1, 2, 3):
            txn.put("maps", db.int_key(map_id), {"name": str(map_id)})
    _put_raw(store, "maps", db.int_key(2), b"\xc1\xc1")
    with store.read() as txn:
        items = list(txn.items("maps"))
        assert [(key, value) for key, value in items] == [(db.int_key(1), {"name": "1"}),
                                                          (db.int_key(3), {"name": "3"})]
        assert txn.map_ids() == [1, 3]
    assert store.corrupt_records >= 1


def test_corrupt_counter_is_refused_rather_than_restarted(store):
    """A corrupt counter must not start again at 1 and hand out ids in use."""
    _put_raw(store, "meta", b"next_account_id", b"\xc1")
    with pytest.raises(ValueError, match="next_account_id"):
        with store.write() as txn:
            txn.counter("next_account_id")
    assert store.corrupt_records >= 1


def test_migrate_fresh_store_sets_the_version(store):
    assert db.migrate(store) == 0
    with store.read() as txn:
        assert txn.meta("schema_version") == db.SCHEMA_VERSION
    assert db.migrate(store) == db.SCHEMA_VERSION  # idempotent


def test_migrate_refuses_a_newer_schema(store):
    with store.write() as txn:
        txn.set_meta("schema_version", db.SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError):
        db.migrate(store)
    with store.read() as txn:
        assert txn.meta("schema_version") == db.SCHEMA_VERSION + 1  # not downgraded
