"""Epoch fencing of checkpoints (DESIGN: leases and failure), on a real store and storage handlers."""
from __future__ import annotations

from cluster import records, wire
from storage import db
from storage.node import Storage

MAP_ID = 2
CHAR_KEY = [7, 0]


def run(storage: Storage, *commands: list) -> list:
    """One storage loop turn: every command in one transaction, committed."""
    out: list = []
    with storage.store.write() as txn:
        for command in commands:
            storage.dispatch(txn, out, command)
    return out


def player(x: int) -> dict:
    record = records.new_character()
    record.update(name="Fenced", pos=records.position(x, 3, 0, MAP_ID))
    return record


def packed(x: int) -> bytes:
    return wire.pack_record(player(x), "test")[0]


def runtime(marker: int) -> bytes:
    """A map's runtime as a map worker's checkpoint carries it (packed)."""
    return wire.pack_record({"items": [], "npcs": [], "doors": [], "door_close_at": [], "shots": [],
                             "meta": {"marker": marker}}, "test")[0]


def stored(storage: Storage) -> tuple[dict | None, dict | None]:
    with storage.store.read() as txn:
        return (txn.get("map_state", db.int_key(MAP_ID)), txn.get("characters", db.char_key(*CHAR_KEY)))


def test_a_checkpoint_older_than_the_lease_is_refused_and_counted(storage):
    run(storage, [wire.LOAD_MAP, "map-1", MAP_ID, 10, []])
    run(storage, [wire.CKPT, "map-1", MAP_ID, 10, runtime(1), [[1, CHAR_KEY, packed(1)]]])
    assert storage.refused_checkpoints == 0
    # the map moves to map-2 with a newer epoch; map-1, presumed dead, still writes
    run(storage, [wire.LOAD_MAP, "map-2", MAP_ID, 11, []])
    run(storage, [wire.CKPT, "map-1", MAP_ID, 10, runtime(2), [[1, CHAR_KEY, packed(2)]]])
    assert storage.refused_checkpoints == 1
    state, character = stored(storage)
    assert state["runtime"]["meta"]["marker"] == 1 and state["epoch"] == 10
    assert character["pos"]["x"] == 1, "the stale player record must not be written"
    # the new owner's checkpoint is taken
    run(storage, [wire.CKPT, "map-2", MAP_ID, 11, runtime(3), [[1, CHAR_KEY, packed(3)]]])
    state, character = stored(storage)
    assert (state["runtime"]["meta"]["marker"], state["epoch"], character["pos"]["x"]) == (3, 11, 3)
    assert storage.stats()["refused_checkpoints"] == 1


def test_a_stale_player_save_is_refused_too(storage):
    run(storage, [wire.LOAD_MAP, "map-2", MAP_ID, 20, []])
    run(storage, [wire.SAVE_PLAYER, "map-1", 1, CHAR_KEY, MAP_ID, 19, player(9), False])
    assert stored(storage)[1] is None and storage.refused_checkpoints == 1
    run(storage, [wire.SAVE_PLAYER, "map-2", 1, CHAR_KEY, MAP_ID, 20, player(4), False])
    assert stored(storage)[1]["pos"]["x"] == 4


def test_writes_of_one_turn_keep_the_newest_per_key(storage):
    run(storage, [wire.LOAD_MAP, "map-1", MAP_ID, 5, []])
    run(storage,
        [wire.CKPT, "map-1", MAP_ID, 5, runtime(1), [[1, CHAR_KEY, packed(1)]]],
        [wire.CKPT, "map-1", MAP_ID, 5, None, [[1, CHAR_KEY, packed(2)]]],
        [wire.CKPT, "map-1", MAP_ID, 5, runtime(3), []])
    state, character = stored(storage)
    assert state["runtime"]["meta"]["marker"] == 3 and character["pos"]["x"] == 2


def test_load_map_answers_the_sender_with_the_last_checkpoint(storage):
    run(storage, [wire.LOAD_MAP, "map-1", MAP_ID, 5, []])
    run(storage, [wire.CKPT, "map-1", MAP_ID, 5, runtime(8), []])
    out = run(storage, [wire.LOAD_MAP, "map-2", MAP_ID, 6, []])
    assert len(out) == 1 and out[0][:2] == [wire.TO, "map-2"]
    token, map_id, epoch, map_record, state, players, world = out[0][2]
    assert (token, map_id, epoch, players) == (wire.MAP_LOADED, MAP_ID, 6, [])
    assert state["meta"]["marker"] == 8 and len(map_record["tiles"]) == records.MAP_SIZE
    assert MAP_ID in world["map_ids"]
