"""No frame from any peer crashes a node (issue 12): over 10^5 random and mutated frames at the
broker of a live cluster, at a storage node and at a map worker.

* The broker of a live cluster on tcp with CurveZMQ (the harness's ``curve=True``) gets frames
  from peers without a key, from stolen keys used under other nodes' names and identities
  (refused on every frame), from an operator's key (ADMIN with junk), and from an edge of its own
  (an authorized key ``fuzz-edge``, registered) that sends every command token with junk or
  schema-guided arguments. Expected: every node keeps its pid, the players who were in the game
  before still see each other's steps and chat, the accounts, characters and world in LMDB are as
  before, and the logs hold a few lines, not one per bad frame.
* A storage node and a map worker, each a real ``odyssey node`` process registered with a fake
  broker (``fuzzkit.FakeBroker``), get what only the broker could send them: every command of
  their table (``wire.TO_STORAGE``, ``wire.TO_MAP``) with junk and guided arguments, the map worker
  with its map 0 loaded and a player on it. Expected: same pid, storage still loads a map and
  answers an account packet, the map worker still relays chat, logs rate-limited.
"""
from __future__ import annotations

import time

import lmdb
import zmq

from cluster import records, wire
from cluster.keys import load_public, load_secret
from storage import db
from faultkit import SOUTH, enter_game, expect, node_pids, relayed_step, say, step
from fuzzkit import FakeBroker, Fuzzer, flush, log_lines, send_all
from rawzmq import raw_dealer, request_reply

BROKER_FRAMES = 50_000
STORAGE_FRAMES = 25_000
MAP_FRAMES = 25_000
MAX_LOG_LINES = 400  # rate-limited: one line per kind of problem per 10 s
SNAPSHOT_DATABASES = ("accounts", "emails", "characters", "names", "maps", "resources", "scripts")


def lmdb_snapshot(data_dir) -> dict:
    """Every record of the databases a peer's frame could reach, read beside the running storage;
    of a character, all but the time of his next tick (the starter world's playertick script)."""
    env = lmdb.open(str(data_dir / "lmdb"), readonly=True, lock=True, max_dbs=16)
    try:
        with env.begin() as txn:
            snapshot = {name: dict(txn.cursor(db=env.open_db(name.encode(), txn=txn, create=False)))
                        for name in SNAPSHOT_DATABASES}
    finally:
        env.close()
    for key, raw in snapshot["characters"].items():
        record = db.unpack(raw)
        record.get("data", {}).pop("nextTick", None)
        snapshot["characters"][key] = record
    return snapshot


def keyed_dealer(cluster, identity: bytes, key_name: str | None):
    keys = cluster.root / "keys"
    pair = None
    if key_name is not None:
        public, secret, _info = load_secret(keys / f"{key_name}.key_secret")
        pair = (public, secret)
    dealer = raw_dealer(cluster.broker_endpoint, identity, pair, load_public(keys / "broker.key"))
    dealer.setsockopt(zmq.SNDHWM, 200_000)
    return dealer


def fuzz_hello(identity: bytes) -> list:
    name, incarnation = identity.decode().split("#")
    return [wire.HELLO, wire.ROLE_EDGE, name, "fuzz-host", 4242, incarnation, {"sessions": []}]


def test_fuzzed_frames_at_the_broker_crash_nothing_and_touch_nobody(cluster_factory):
    cluster = cluster_factory(curve=True)
    assert cluster.cli("keys", "new", "fuzz-edge", "--role", "edge").returncode == 0
    alice, bob = enter_game(cluster, "Alice"), enter_game(cluster, "Bob", profession_id=1)
    alice.drain(), bob.drain()
    pids_before = node_pids(cluster.status())
    time.sleep(1.2)  # the last checkpoints of the two arrivals are on disk; the new key is seen
    lmdb_before = lmdb_snapshot(cluster.data_dir)
    lines_before = {name: log_lines(path) for name, path in cluster.logs.items()}

    players = (alice.pid, bob.pid)
    # (identity, key, share of the frames): nobody, stolen keys under other names, an operator,
    # and an edge of our own that registers and then sends everything.
    senders = [
        (b"map-1#nokey", None, 0),
        (b"storage#stolen", "edge-1", 8), (b"map-1#stolen", "edge-1", 4), (b"edge-1#stolen", "map-1", 4),
        (b"map-2!life", "edge-1", 2), (b"storage#op", "operator", 6),
        (b"fuzz-edge#f1", "fuzz-edge", 26),
    ]
    started = time.monotonic()
    sent = 0
    for index, (identity, key_name, share) in enumerate(senders):
        dealer = keyed_dealer(cluster, identity, key_name)
        fuzzer = Fuzzer(1000 + index, wire.TO_BROKER, pids=players, map_ids=(0, 1, 2, 3))
        count = BROKER_FRAMES * share // 50 if share else 200
        registered = identity.startswith(b"fuzz-edge")

        def messages():
            for number in range(count):
                if registered and number % 500 == 0:  # it may have said BYE or been dropped
                    yield [wire.pack([fuzz_hello(identity)])]
                yield fuzzer.message()
        if share:
            sent += send_all(dealer, messages())
        else:  # no key: the handshake never completes, the frames only fill the socket's queue
            for message in messages():
                try:
                    dealer.send_multipart(message, zmq.NOBLOCK)
                except zmq.Again:
                    break
        time.sleep(0.2)
        flush(dealer)
        dealer.close(0)
    elapsed = time.monotonic() - started
    print(f"broker: {sent} frames in {elapsed:.1f} s ({sent / elapsed:.0f}/s)")
    assert sent >= BROKER_FRAMES

    view = cluster.status()  # the broker answers; nobody restarted, nobody new stayed but our edge
    assert {name: pid for name, pid in node_pids(view).items() if name != "fuzz-edge"} == pids_before
    time.sleep(0.5)
    assert lmdb_snapshot(cluster.data_dir) == lmdb_before, "a fuzzed frame changed LMDB"

    alice.drain(), bob.drain()
    say(alice, "after the fuzz", hearers=(bob,))
    step(bob, 6, 5, SOUTH)
    expect(alice, relayed_step(bob), "Bob's step after the fuzz")
    for name, path in cluster.logs.items():
        grown = log_lines(path) - lines_before[name]
        assert grown < MAX_LOG_LINES, f"{name} logged {grown} lines for the fuzz\n{cluster.tail_logs(40)}"
        assert "Traceback" not in path.read_text(errors="replace"), f"{name} logged a traceback"


def test_fuzzed_frames_at_a_storage_node_and_a_map_worker_crash_neither(tmp_path):
    fake = FakeBroker(tmp_path)
    try:
        storage = fake.start_node("storage", "storage")
        worker = fake.start_node("map", "map-f")
        storage_id, worker_id = fake.wait_hello("storage"), fake.wait_hello("map-f")
        map_loaded = load_map_from_storage(fake, epoch=1)
        pid = 777
        serve_map(fake, map_loaded, epoch=1, pid=pid)
        relay_chat(fake, pid, "before the fuzz")

        started = time.monotonic()
        fuzzer = Fuzzer(7, wire.TO_STORAGE, pids=(pid, 1, 2), map_ids=(0, 1, 2))
        sent = send_all(fake.router, (fuzzer.message() for _ in range(STORAGE_FRAMES)), prefix=[storage_id])
        fuzzer = Fuzzer(8, wire.TO_MAP, pids=(pid, 1, 2), map_ids=(0, 0, 0, 1, 2))
        sent += send_all(fake.router, (fuzzer.message() for _ in range(MAP_FRAMES)), prefix=[worker_id])
        elapsed = time.monotonic() - started
        print(f"storage and map worker: {sent} frames in {elapsed:.1f} s ({sent / elapsed:.0f}/s)")

        time.sleep(1.0)
        fake.receive(100)
        assert storage.poll() is None and worker.poll() is None, "a node died"
        assert fake.identities == {"storage": storage_id, "map-f": worker_id}, "a node restarted"
        # Storage still loads a map and answers an account packet (a login of nobody).
        load_map_from_storage(fake, epoch=2 ** 62)
        fake.send("storage", [[wire.ACCT, "edge-1", 987654, None, 1,
                               b'{"type": 1, "email": "nobody@fuzz.test", "password": "x"}']])
        fake.expect(lambda c: c[0] == wire.OUT_CONN and c[2] == 987654, timeout_s=10)
        # The map worker, told which maps it holds, takes map 0 again and relays a player's chat.
        # (Map 0 as it was: the fuzz had storage save junk over it, as any SAVE_MAP from the broker would.)
        fake.send("map-f", [[wire.LEASES, []]])
        map_loaded[2] = 2 ** 62
        serve_map(fake, map_loaded, epoch=2 ** 62, pid=pid)
        relay_chat(fake, pid, "after the fuzz")
        for name in ("storage", "map-f"):
            # What the broker asks for is done, and a change of the world is logged (storage's "player
            # 3 saved map 7"); but each kind of bad command is logged once per interval.
            text = fake.log_path(name).read_text(errors="replace")
            complaints = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
            assert len(complaints) < MAX_LOG_LINES, f"{name} complained {len(complaints)} times\n{text[-3000:]}"
            assert text.count("Traceback") < 10, f"{name}: handlers failed on commands that fit the schema"
    finally:
        fake.close()


def load_map_from_storage(fake: FakeBroker, epoch: int) -> list:
    """Map 0 as storage hands it to a worker (MAP_LOADED), asked for ``map-f``."""
    fake.send("storage", [[wire.LOAD_MAP, "map-f", 0, epoch, []]])
    command = fake.expect(lambda c: c[0] == wire.TO and c[2][0] == wire.MAP_LOADED and c[2][2] == epoch)
    return command[2]


SEQ = iter(range(1, 10**9))


def serve_map(fake: FakeBroker, map_loaded: list, epoch: int, pid: int) -> None:
    """Grant map 0 to the worker, give it the map when it asks storage, and let a player join."""
    fake.send("map-f", [[wire.GRANT, 0, epoch, []]])
    fake.expect(lambda c: c[0] == wire.LOAD_MAP and c[1] == 0 and c[2] == epoch)
    record = records.new_character()
    record.update(name="Fuzzy", pos=records.position(5, 5, 0, 0))
    fake.send("map-f", [map_loaded, [wire.JOIN, 0, next(SEQ), pid, [1, 0], record]])


def relay_chat(fake: FakeBroker, pid: int, text: str) -> None:
    raw = f'{{"type": 5, "text": "{text}"}}'.encode()
    fake.send("map-f", [[wire.PKT, 0, next(SEQ), pid, 5, raw]])
    fake.expect(lambda c: c[0] == wire.OUT and pid in c[1] and f"Fuzzy:{text}".encode() in c[2])


SCRATCH_FRAMES = 10_000  # per registered role


def test_fuzzed_frames_from_registered_nodes_of_every_role_crash_no_broker(tmp_path):
    """A broker of its own (ipc: whoever may open the socket is trusted), with an edge, a map worker
    and storage that are the fuzzer: every command of every role reaches its handler, shaped or not."""
    fake = FakeBroker(tmp_path)  # for its config and its process handling; its ROUTER stays idle
    endpoint = f"ipc://{tmp_path / 'broker.ipc'}"
    broker = fake.start_node_at("broker", "broker", endpoint)
    dealers = {}
    try:
        for role, name in (("storage", "s1"), ("map", "m1"), ("edge", "e1")):
            dealers[role] = dealer = raw_dealer(endpoint, f"{name}#1".encode())
            dealer.setsockopt(zmq.SNDHWM, 200_000)
            hello = [wire.HELLO, role, name, "fuzz-host", 4242, "1", {}]
            assert request_reply(dealer, [hello], timeout_ms=10_000) is not None, fake.log_path("broker").read_text()
        sent = 0
        started = time.monotonic()
        for index, (role, dealer) in enumerate(dealers.items()):
            name = {"storage": "s1", "map": "m1", "edge": "e1"}[role]
            fuzzer = Fuzzer(50 + index, wire.TO_BROKER, pids=(1, 2, 3), map_ids=(0, 1, 2))

            def messages():
                for number in range(SCRATCH_FRAMES):
                    if number % 500 == 0:  # it may have said BYE
                        yield [wire.pack([[wire.HELLO, role, name, "fuzz-host", 4242, "1", {}]])]
                    yield fuzzer.message()
            sent += send_all(dealer, messages(), drain=None)
            for other in dealers.values():
                flush(other)
        elapsed = time.monotonic() - started
        print(f"scratch broker: {sent} frames in {elapsed:.1f} s ({sent / elapsed:.0f}/s)")
        time.sleep(0.5)
        status = raw_dealer(endpoint, b"status-check")
        assert request_reply(status, [[wire.STATUS]], timeout_ms=5000) is not None, "the broker does not answer"
        status.close(0)
        assert broker.poll() is None, "the broker died"
        text = fake.log_path("broker").read_text(errors="replace")
        complaints = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
        assert len(complaints) < MAX_LOG_LINES, f"the broker complained {len(complaints)} times\n{text[-3000:]}"
        failed = [line for line in complaints if " failed: " in line]
        assert not failed, "handlers failed on commands that fit the schema:\n" + "\n".join(failed[:20])
    finally:
        for dealer in dealers.values():
            dealer.close(0)
        fake.close()
