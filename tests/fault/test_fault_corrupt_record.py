"""A corrupt record is reported with its key and skipped; storage keeps serving everyone else."""
from __future__ import annotations

from harness import GameClient
from storage import db


def test_a_corrupt_character_is_skipped_and_others_play_on(cluster_factory):
    cluster = cluster_factory()
    for email, name in (("ann@example.org", "Ann"), ("ben@example.org", "Ben")):
        client = cluster.client()
        client.play(email, name)
        client.close()
    cluster.stop_all()

    store = db.Store(cluster.data_dir / "lmdb")
    with store.write() as txn:
        account_id, slot = txn.get("names", db.text_key("Ann"))
        txn.txn.put(db.char_key(account_id, slot), b"\xc1\x00garbage", db=store.dbs["characters"])
    store.close()

    again = cluster.reopen().start()
    try:
        storage_pid = again.processes["storage"].pid
        ann = GameClient(again.url())
        replies = ann.login("ann@example.org")
        assert [p["type"] for p in replies] == [100, 102, 101, 100]
        slots = next(p for p in replies if p["type"] == 101)["account"]["players"]
        assert slots[slot]["name"] == "", "an unreadable character shows as an empty slot"
        ben = GameClient(again.url())
        ben.login("ben@example.org")
        got = ben.enter(0)
        assert got[-1]["type"] == 115
        ben.send({"type": 5, "text": "fine"})
        ben.recv_until(lambda p: p["type"] == 114 and p["text"] == "Ben:fine")
        view = again.status()
        storage_node = next(n for n in view["nodes"] if n["role"] == "storage")
        assert storage_node["pid"] == storage_pid
        log = again.logs["storage"].read_text()
        assert "corrupt record in characters at key" in log
        ann.close()
        ben.close()
    finally:
        again.stop_all()
