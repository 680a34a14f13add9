"""cluster.wire: one msgpack frame per batch of commands, and the per-peer outbox."""
from __future__ import annotations

import json

import msgpack
import pytest

from cluster import records, wire


def test_round_trip_keeps_bytes_as_bytes():
    payload = json.dumps({"type": 114, "text": "héllo"}).encode("utf-8")
    commands = [
        [wire.OUT, [3, 7], payload],
        [wire.IN, 12, 6, b'{"type":6,"x":1}'],
        [wire.HB],
        [wire.DONE, 4, 99, None],
        [wire.HELLO, "map", "map-1", "127.0.0.1", 1234, "abc", {"maps": [[1, 2, [5]]]}],
    ]
    decoded = wire.unpack(wire.pack(commands))
    assert decoded == commands
    assert isinstance(decoded[0][2], bytes) and decoded[0][2] == payload
    assert isinstance(decoded[1][3], bytes)
    assert isinstance(decoded[4][1], str)  # text stays text


def test_pack_accepts_tuples_and_generators():
    frame = wire.pack(([wire.POKE, n] for n in range(3)))
    assert wire.unpack(frame) == [[wire.POKE, 0], [wire.POKE, 1], [wire.POKE, 2]]
    assert wire.unpack(wire.pack([(wire.CLOSE, 5)])) == [[wire.CLOSE, 5]]


def test_empty_batch_is_valid():
    assert wire.unpack(wire.pack([])) == []


def test_int_map_keys_survive():
    commands = [[wire.STATUS_REPLY, {1: "map one", "x": 2}]]
    assert wire.unpack(wire.pack(commands)) == commands


def test_frame_is_msgpack_with_bin_type():
    frame = wire.pack([[wire.OUT, [1], b"\x00\xff"]])
    # Decoded by a plain msgpack reader the payload is still binary, not a str.
    assert msgpack.unpackb(frame, raw=False) == [["OUT", [1], b"\x00\xff"]]


@pytest.mark.parametrize("frame", [
    b"",                                   # nothing
    b"\xc1",                               # the one byte msgpack never uses
    b"\x92\x01",                           # array of 2 with 1 element (truncated)
    wire.pack([[wire.HB]]) + b"\x01",      # trailing garbage
    b"not msgpack at all, just text {}",
    msgpack.packb({"cmd": "HB"}),          # not a list
    msgpack.packb("HB"),                   # a bare string
    b"\x91" * 100_000,                     # nested deeper than the decoder goes
])
def test_frames_that_are_not_a_list_raise_value_error(frame):
    with pytest.raises(ValueError):
        wire.unpack(frame)


@pytest.mark.parametrize("item", ["HB", [], [42, 1], [b"HB"], None, {"HB": 1}])
def test_items_that_are_not_commands_are_refused_by_every_schema(item):
    for schema in (wire.TO_BROKER, *wire.SCHEMAS.values()):
        assert schema.check(item, wire.ROLE_BROKER) is not None
        assert schema.check(item, wire.ROLE_EDGE) is not None


def test_one_bad_command_in_a_frame_leaves_the_others():
    items = wire.unpack(msgpack.packb([["HB"], "OUT", [wire.CLOSE, 3]]))
    assert [wire.TO_EDGE.check(item, wire.ROLE_BROKER) is None for item in items] == [True, False, True]


# --- schemas: arity, kinds, sizes and senders ----------------------------------------------------

GOOD = {
    wire.TO_BROKER: [
        ([wire.IN, 12, 6, b'{"type":6}'], wire.ROLE_EDGE),
        ([wire.OUT, [1, 2], b"{}"], wire.ROLE_MAP),
        ([wire.OUT, [1], b"{}"], wire.ROLE_STORAGE),
        ([wire.DONE, 4, 99, None], wire.ROLE_MAP),
        ([wire.HB], wire.ROLE_EDGE),
        ([wire.HB, {"sessions": 3}], wire.ROLE_MAP),
        ([wire.HELLO, "map", "map-1", "host", 1234, "abc", {"maps": []}], wire.ROLE_MAP),
        ([wire.ENTER, 5, 3, [1, 0], {"name": "Ann"}], wire.ROLE_STORAGE),
        ([wire.ENTER, 5, 3, [1, 0], {"name": "Ann"}, ["bob"]], wire.ROLE_STORAGE),
        ([wire.STATUS], wire.ROLE_OPERATOR),
        ([wire.FENCED, 3, "map-1", 10, 12], wire.ROLE_STORAGE),
        ([wire.CLOSE_PID, 5], wire.ROLE_STORAGE),  # a kick or a ban
        ([wire.CLOSE_PID, 5], wire.ROLE_MAP),
    ],
    wire.TO_MAP: [
        ([wire.MAP_LOADED, 0, 1, records.new_map(), None, [], {"map_ids": [0, 1], "shops": [], "items": [],
                                                                "professions": [], "npcs": [], "scripts": {}}],
         wire.ROLE_BROKER),
        ([wire.PKT, 3, 7, 12, 6, b"{}"], wire.ROLE_BROKER),
        ([wire.MUTED, 3, 7, 12, True, 1_700_000_000_000], wire.ROLE_BROKER),
        ([wire.MUTED, 3, 7, 12, True, None], wire.ROLE_BROKER),  # until lifted
        ([wire.MUTED, 3, 7, 12, False, None], wire.ROLE_BROKER),
        ([wire.LEASES, [[3, 10], [4, 11]]], wire.ROLE_BROKER),
        ([wire.GRANT, 3, 10, [1, 2]], wire.ROLE_BROKER),
    ],
    wire.TO_STORAGE: [
        ([wire.CKPT, "map-1", 3, 10, None, [[5, [1, 0], wire.pack_record({"name": "Ann"}, "Ann")[0]]]],
         wire.ROLE_BROKER),
        ([wire.CKPT, "map-1", 3, 10, wire.pack_record({"npcs": []}, "map 3")[0], []], wire.ROLE_BROKER),
        ([wire.ACCT, "edge-1", 4, None, 0, b"{}"], wire.ROLE_BROKER),
        ([wire.MODERATE, "map-1", 5, 2, "Ann", "ban", "Bob 2h spam"], wire.ROLE_BROKER),
    ],
    wire.TO_EDGE: [
        ([wire.OUT, [1, 2], b"{}"], wire.ROLE_BROKER),
        ([wire.PLACE, 4, None, None], wire.ROLE_BROKER),
    ],
}
BAD = {
    wire.TO_BROKER: [
        ([wire.IN, 12, 6, b"{}"], wire.ROLE_MAP),  # only edges send client frames
        ([wire.IN, 12, 6, "{}"], wire.ROLE_EDGE),  # raw must be bytes
        ([wire.IN, 12, True, b"{}"], wire.ROLE_EDGE),  # a bool is not a type
        ([wire.IN, 12, 2**70, b"{}"], wire.ROLE_EDGE),  # not a 64-bit int
        ([wire.IN, 12, 6], wire.ROLE_EDGE),  # too few
        ([wire.IN, 12, 6, b"{}", 1], wire.ROLE_EDGE),  # too many
        ([wire.IN, 12, 6, b"x" * (wire.PAYLOAD_BYTES + 1)], wire.ROLE_EDGE),  # too big
        ([wire.OUT, [1, "2"], b"{}"], wire.ROLE_MAP),
        ([wire.OUT, [1], b"{}"], wire.ROLE_EDGE),
        ([wire.HELLO], wire.ROLE_MAP),
        ([wire.HELLO, "map", "map-1", "host", 1234, "abc", []], wire.ROLE_MAP),  # state is a map
        ([wire.ADMIN, "r1", "set_access", {}], wire.ROLE_MAP),  # only operators
        ([wire.ENTER, 5, 3, [1], {"name": "Ann"}], wire.ROLE_STORAGE),  # short char key
        ([wire.FENCED, 3, "map-1", 10, 12], wire.ROLE_MAP),
        ([wire.CLOSE_PID, 5], wire.ROLE_EDGE),
        (["NO_SUCH", 1], wire.ROLE_MAP),
    ],
    wire.TO_MAP: [
        ([wire.PKT, 3, 7, 12, 6, b"{}"], wire.ROLE_EDGE),
        ([wire.PKT, 3, -7, 12, 6, b"{}"], wire.ROLE_BROKER),  # seqs are natural
        ([wire.LEASES, [[3]]], wire.ROLE_BROKER),
        # a map without tiles, a world without its lists: the map would fail on every batch
        ([wire.MAP_LOADED, 0, 1, {}, None, [], {"map_ids": [0], "shops": [], "items": [], "professions": [],
                                                "npcs": []}], wire.ROLE_BROKER),
        ([wire.MAP_LOADED, 0, 1, {"tiles": [[{}]]}, None, [], {}], wire.ROLE_BROKER),
        ([wire.OUT, [1], b"{}"], wire.ROLE_BROKER),  # not a map worker's command
        ([wire.MUTED, 3, 7, 12, 1, None], wire.ROLE_BROKER),  # muted is a bool
        ([wire.MUTED, 3, 7, 12, True, "soon"], wire.ROLE_BROKER),
        ([wire.MUTED, 3, 7, 12, True], wire.ROLE_BROKER),  # too few
    ],
    wire.TO_STORAGE: [
        ([wire.CKPT, "map-1", 3, 10, None, [[5, [1, 0]]]], wire.ROLE_BROKER),
        ([wire.CKPT, "map-1", 3, 10, None, [[5, [1, 0], {"name": "Ann"}]]], wire.ROLE_BROKER),  # not packed
        ([wire.CKPT, "map-1", 3, 10, None, [[5, [1, 0], b"\x92\x01\x02"]]], wire.ROLE_BROKER),  # not a map
        ([wire.CKPT, "map-1", 3, 10, {"npcs": []}, []], wire.ROLE_BROKER),  # a runtime not packed
        ([wire.ACCT, "edge-1", 4, None, -1, b"{}"], wire.ROLE_BROKER),
        ([wire.SAVE_SCRIPT, "map-1", 5, "x" * 65, "text"], wire.ROLE_BROKER),  # a script name is short
        ([wire.MODERATE, "map-1", 5, "2", "Ann", "ban", "Bob"], wire.ROLE_BROKER),  # access is an int
        ([wire.MODERATE, "map-1", 5, 2, "Ann", "ban", None], wire.ROLE_BROKER),
        ([wire.MODERATE, "map-1", 5, 2, "Ann", "ban"], wire.ROLE_BROKER),
        # Found by the fuzz test (tests/fault/test_fault_fuzz.py): each of these fitted and then
        # failed in storage's handler.
        ([wire.ACCT, "edge-1", 4, None, 5, b"{}"], wire.ROLE_BROKER),  # storage answers types 0 to 4 only
        ([wire.SAVE_SCRIPT, "map-1", 5, "", "text"], wire.ROLE_BROKER),  # LMDB takes no empty key
        ([wire.GET_SCRIPT, "map-1", 5, ""], wire.ROLE_BROKER),
        ([wire.GET_SCRIPT, "map-1", 5, "\U0001f600" * 64 + "x" * 200], wire.ROLE_BROKER),  # over 511 bytes
        ([wire.SET_ACCESS, "map-1", 5, 2, "", 1], wire.ROLE_BROKER),
        ([wire.SET_ACCESS, "map-1", 5, 2, "\U0001f600" * 200, 1], wire.ROLE_BROKER),
        ([wire.SAVE_PLAYER, "map-1", 5, [1, 256], 3, 10, {}, False], wire.ROLE_BROKER),  # slot is one byte
    ],
    wire.TO_EDGE: [
        ([wire.OUT, 1, b"{}"], wire.ROLE_BROKER),
        ([wire.CLOSE, "1"], wire.ROLE_BROKER),
    ],
}


@pytest.mark.parametrize("schema, item, sender", [(schema, item, sender) for schema, cases in GOOD.items()
                                                  for item, sender in cases])
def test_commands_that_fit(schema, item, sender):
    assert schema.check(item, sender) is None


@pytest.mark.parametrize("schema, item, sender", [(schema, item, sender) for schema, cases in BAD.items()
                                                  for item, sender in cases])
def test_commands_that_do_not_fit(schema, item, sender):
    assert schema.check(item, sender) is not None


def test_every_node_takes_the_links_own_commands():
    for schema in wire.SCHEMAS.values():
        assert schema.check([wire.HB], wire.ROLE_BROKER) is None
        assert schema.check([wire.WHO], wire.ROLE_BROKER) is None


# --- repairing what cannot be encoded ----------------------------------------------------------

def test_a_checkpoint_with_an_unstorable_value_is_repaired_in_place_and_the_rest_kept():
    record = {"name": "Ann", "data": {"big": 2**70, "ok": 1, "bad": "\ud800x", "thing": object()}}
    batch = [[wire.DONE, 1, 2, None], [wire.CKPT, 3, 10, None, [[5, [1, 0], record]]]]
    frame, problems = wire.pack_repairing(batch)
    decoded = wire.unpack(frame)
    assert decoded[0] == [wire.DONE, 1, 2, None]
    assert decoded[1][4][0][2]["data"] == {"big": 2**63 - 1, "ok": 1, "bad": "\ufffdx", "thing": None}
    assert record["data"]["big"] == 2**63 - 1, "the live record is repaired, so the next checkpoint is clean"
    assert len(problems) == 3 and all(p.startswith("CKPT 3") for p in problems)
    assert any(".data.big" in p for p in problems)


def test_storage_bound_commands():
    assert wire.STORAGE_BOUND == {wire.LOAD_MAP, wire.CKPT, wire.SAVE_PLAYER, wire.SETTINGS,
                                  wire.SET_ACCESS, wire.GET_MAP, wire.GET_SCRIPT,
                                  wire.SAVE_MAP, wire.SAVE_RESOURCE, wire.SAVE_SCRIPT, wire.MODERATE}


# --- Outbox ----------------------------------------------------------------------------

def test_outbox_batches_per_peer_in_order():
    outbox = wire.Outbox()
    outbox.add(b"edge-1", [wire.OUT, [1], b"a"])
    outbox.add(b"map-1", [wire.PKT, 4, 1, 9, 6, b"{}"])
    outbox.add(b"edge-1", [wire.CLOSE, 3])
    outbox.add(b"edge-1", (wire.BIND, 4, 9, 2))
    frames = dict(outbox.drain())
    assert set(frames) == {b"edge-1", b"map-1"}
    assert wire.unpack(frames[b"edge-1"]) == [[wire.OUT, [1], b"a"], [wire.CLOSE, 3], [wire.BIND, 4, 9, 2]]
    assert wire.unpack(frames[b"map-1"]) == [[wire.PKT, 4, 1, 9, 6, b"{}"]]


def test_outbox_drain_empties_it():
    outbox = wire.Outbox()
    assert outbox.drain() == []
    outbox.add(b"p", [wire.HB])
    assert len(outbox.drain()) == 1
    assert outbox.drain() == []
    outbox.add(b"p", [wire.BYE])
    [(peer, frame)] = outbox.drain()
    assert peer == b"p" and wire.unpack(frame) == [[wire.BYE]]  # nothing left over from before


def test_outbox_one_frame_per_peer_however_many_commands():
    outbox = wire.Outbox()
    for n in range(500):
        outbox.add(b"a" if n % 2 else b"b", [wire.POKE, n])
    frames = outbox.drain()
    assert len(frames) == 2
    decoded = {peer: wire.unpack(frame) for peer, frame in frames}
    assert [c[1] for c in decoded[b"a"]] == list(range(1, 500, 2))
    assert [c[1] for c in decoded[b"b"]] == list(range(0, 500, 2))


def test_a_record_that_cannot_be_encoded_is_repaired_and_packed_for_storage():
    record = {"name": "Ann", "data": {"big": 2**70, "ok": 1}, "stats": [1, "\ud800"]}
    packed, problems = wire.pack_record(record, "player 5 of map 3")
    assert wire.packed_record(packed)
    assert msgpack.unpackb(packed) == {"name": "Ann", "data": {"big": 2**63 - 1, "ok": 1}, "stats": [1, "\ufffd"]}
    assert len(problems) == 2 and all(p.startswith("player 5 of map 3") for p in problems)
    assert wire.pack_record({"name": "Bo"}, "x") == (msgpack.packb({"name": "Bo"}, use_bin_type=True), [])
