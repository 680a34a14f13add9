"""cluster.wire: one msgpack frame per batch of commands, and the per-peer outbox."""
from __future__ import annotations

import json

import msgpack
import pytest

from cluster import wire


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
    msgpack.packb(["HB"]),                 # commands must be lists
    msgpack.packb([[]]),                   # empty command
    msgpack.packb([[42, 1]]),              # token is not a string
    msgpack.packb([[b"HB"]], use_bin_type=True),  # token is bytes, not str
    msgpack.packb([["HB"], "OUT"]),        # one good, one bad
])
def test_malformed_frames_raise_value_error(frame):
    with pytest.raises(ValueError):
        wire.unpack(frame)


def test_storage_bound_commands():
    assert wire.STORAGE_BOUND == {wire.LOAD_MAP, wire.CKPT, wire.SAVE_PLAYER, wire.SETTINGS,
                                  wire.SET_ACCESS, wire.GET_MAP, wire.GET_SCRIPT,
                                  wire.SAVE_MAP, wire.SAVE_RESOURCE, wire.SAVE_SCRIPT}


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
