"""Hostile bytes at the edge's port, below what a websocket library would let a client send (issue 12).

tests/fault/test_fault_bad_input.py covers bad frames a well-behaved client can send (not JSON,
binary, over the size limit, floods of packets). Here a raw TCP socket sends what no library
would: random bytes before the HTTP handshake and after it, text frames that are not UTF-8,
fragmented junk (continuations without a start, a message fragmented past the size limit, control
frames fragmented or too long), a frame header claiming 2^63 bytes, unmasked frames, reserved
bits and opcodes, and a flood of pings. Expected for each: the edge closes (or ignores) that
connection, stays up with the same pid, and a player already in the game still gets his chat echo
and sees another player's step.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import struct
import time

import pytest

from faultkit import NORTH, SOUTH, enter_game, expect, node_pids, relayed_step, say, step
from harness import ClusterHarness

MAX_FRAME_BYTES = 65536  # cluster.toml edge.max_frame_bytes default
TEXT, BINARY, CONTINUATION, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9
SHORT_HANDSHAKE = "[edge]\nhandshake_timeout_ms = 1500\n"  # junk that never ends its headers is closed


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One cluster, a player and a witness on map 0, for every case of this module."""
    cluster = ClusterHarness(tmp_path_factory.mktemp("hostile-ws"), extra_config=SHORT_HANDSHAKE).start()
    try:
        player, witness = enter_game(cluster, "Walker"), enter_game(cluster, "Witness", profession_id=1)
        player.drain(), witness.drain()
        yield cluster, player, witness, node_pids(cluster.status())
    finally:
        cluster.stop_all()


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True, rsv: int = 0,
          claimed_length: int | None = None) -> bytes:
    """One websocket frame as RFC 6455 lays it out, with any field as given."""
    length = len(payload) if claimed_length is None else claimed_length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 2**16:
        head += bytes([mask_bit | 126]) + struct.pack(">H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))


def raw_connection(cluster: ClusterHarness, handshake: bool = True) -> socket.socket:
    """A TCP connection to the edge's port; with ``handshake``, upgraded to a websocket."""
    sock = socket.create_connection(("127.0.0.1", cluster.edge_ports["edge-1"]), timeout=5)
    if handshake:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            assert chunk, "the edge closed before answering the handshake"
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 101"), answer[:200]
    return sock


def closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True if the server ends the connection (close frame, FIN or reset) within the timeout."""
    deadline = time.monotonic() + timeout
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
        if not data or data[0] & 0x0F == CLOSE:
            return True
    return False


def send_quietly(sock: socket.socket, data: bytes) -> None:
    """Send; the server may close while we are still writing."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def still_served(cluster, player, witness, baseline, case: str) -> None:
    """The player's chat reaches the witness and his step (south, then back north) is relayed."""
    say(player, f"after {case}", hearers=(witness,))
    south = not getattr(player, "stepped_south", False)
    step(player, 5, 5 if south else 6, SOUTH if south else NORTH)
    player.stepped_south = south
    expect(witness, relayed_step(player), f"the walker's step after {case}")
    time.sleep(0.3)  # the step interval
    assert node_pids(cluster.status()) == baseline, f"a node restarted after {case}"


rng = random.Random(12)
CLOSING = {
    "random bytes after the handshake": lambda: rng.randbytes(4096),
    "a text frame that is not UTF-8": lambda: frame(TEXT, b'{"type": 5, "text": "\xff\xfe\xc0"}'),
    "a lone surrogate encoded in UTF-8": lambda: frame(TEXT, b'{"type": 5, "text": "\xed\xa0\x80"}'),
    "a continuation without a start": lambda: frame(CONTINUATION, b"junk"),
    "fragments past the size limit": lambda: frame(TEXT, b"[", fin=False)
        + b"".join(frame(CONTINUATION, b"x" * 16384, fin=False) for _ in range(6)),
    "a fragmented ping": lambda: frame(PING, b"p", fin=False),
    "a ping over 125 bytes": lambda: frame(PING, b"p" * 200),
    "a header claiming 2^63 bytes": lambda: frame(TEXT, b"x" * 64, claimed_length=2**63 - 1),
    # Tornado reads an unmasked client frame like a masked one (RFC 6455 says to close): it is checked
    # like any other, so unmasked junk closes.
    "an unmasked frame of junk": lambda: frame(TEXT, b"not json", mask=False),
    "reserved bits set": lambda: frame(TEXT, b'{"type": -1}', rsv=0b111),
    "a reserved opcode": lambda: frame(0x3, b"junk"),
    "a new message inside a fragmented one": lambda: frame(TEXT, b"{", fin=False) + frame(TEXT, b"}"),
    "a fragmented binary message": lambda: frame(BINARY, b"\x00", fin=False) + frame(CONTINUATION, b"\x01"),
    "fragmented JSON junk": lambda: frame(TEXT, b'{"type": ', fin=False) + frame(CONTINUATION, b"NaN}"),
}


@pytest.mark.parametrize("case", sorted(CLOSING))
def test_hostile_frames_close_that_connection_only(shared, case):
    cluster, player, witness, baseline = shared
    sock = raw_connection(cluster)
    send_quietly(sock, CLOSING[case]())
    assert closed_by_server(sock), f"the edge kept a connection open after {case}"
    sock.close()
    still_served(cluster, player, witness, baseline, case)


@pytest.mark.parametrize("junk", [b"\x16\x03\x01\x02\x00" + bytes(range(256)) * 8,  # a TLS hello on ws://
                                  b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 300_000 + b"\r\n\r\n",  # huge header
                                  b"\x00" * 70_000, b"\r\n" * 10_000])
def test_junk_before_the_handshake_is_refused(shared, junk):
    cluster, player, witness, baseline = shared
    sock = raw_connection(cluster, handshake=False)
    send_quietly(sock, junk + rng.randbytes(2048))
    assert closed_by_server(sock, timeout=5), "the edge kept a connection of junk open"
    sock.close()
    still_served(cluster, player, witness, baseline, f"{len(junk)} bytes of junk before the handshake")


def test_many_connections_of_random_bytes_at_once(shared):
    cluster, player, witness, baseline = shared
    socks = [raw_connection(cluster, handshake=index % 2 == 0) for index in range(40)]
    for sock in socks:
        send_quietly(sock, rng.randbytes(rng.randrange(1, 20_000)))
    for sock in socks:
        sock.close()
    still_served(cluster, player, witness, baseline, "40 connections of random bytes")


def test_a_ping_flood_does_not_disturb_other_players(shared):
    cluster, player, witness, baseline = shared
    sock = raw_connection(cluster)
    flood = frame(PING, b"ping") * 2000
    deadline = time.monotonic() + 3
    sent = 0
    sock.setblocking(False)
    while time.monotonic() < deadline and sent < 20:  # 40,000 pings, not reading the pongs
        try:
            sock.send(flood)
            sent += 1
        except BlockingIOError:
            time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            break
    sock.close()
    still_served(cluster, player, witness, baseline, f"{sent * 2000} pings")


def test_the_handshake_timeout_does_not_close_idle_players(shared):
    cluster, player, witness, baseline = shared
    time.sleep(2.5)  # over handshake_timeout_ms: it bounds the HTTP request, not the websocket after it
    still_served(cluster, player, witness, baseline, "a quiet while")


def read_frame(sock: socket.socket, timeout: float = 5.0) -> tuple[int, bytes]:
    """The next frame the server sends (unmasked, RFC 6455 5.1): its opcode and payload."""
    sock.settimeout(timeout)
    data = b""

    def need(size: int) -> bytes:
        nonlocal data
        while len(data) < size:
            chunk = sock.recv(65536)
            assert chunk, "the edge closed the connection"
            data += chunk
        taken, data = data[:size], data[size:]
        return taken

    first, second = need(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", need(2))[0]
    elif length == 127:
        length = struct.unpack(">Q", need(8))[0]
    return first & 0x0F, need(length)


def test_a_fragmented_packet_is_joined_and_answered(shared):
    cluster, player, witness, baseline = shared
    sock = raw_connection(cluster)
    login = b'{"type": 1, "email": "nobody@fragments.test", "password": "not the password"}'
    sock.sendall(frame(TEXT, login[:10], fin=False) + frame(PING, b"between")
                 + frame(CONTINUATION, login[10:30], fin=False) + frame(CONTINUATION, login[30:]))
    assert read_frame(sock) == (0xA, b"between"), "a ping between fragments is answered at once"
    opcode, payload = read_frame(sock)
    answer = json.loads(payload)
    assert opcode == TEXT and answer["type"] == 100 and answer["win"] == "winLogin", answer
    sock.close()
    still_served(cluster, player, witness, baseline, "a fragmented login")


def test_a_client_that_sends_without_reading_is_held_back(shared):
    """Pings answered into a socket nobody reads: the edge stops reading that client (TCP pushes
    back) instead of buffering pongs without end."""
    cluster, player, witness, baseline = shared
    sock = raw_connection(cluster)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    flood = frame(PING, b"p" * 125) * 1000
    sock.setblocking(False)
    sent, deadline = 0, time.monotonic() + 5
    while time.monotonic() < deadline and sent < 256 << 20:
        try:
            sent += sock.send(flood[sent % len(flood):])  # whole frames: a partial send goes on where it ended
        except BlockingIOError:
            time.sleep(0.005)
    assert not closed_by_server(sock, timeout=0.5), "a client slow to read is held back, not closed"
    sock.close()
    assert sent < 64 << 20, f"the edge read {sent >> 20} MB of pings whose pongs nobody read"
    still_served(cluster, player, witness, baseline, "pings sent without reading")


def test_the_port_serves_http_through_the_door(shared):
    cluster, player, witness, baseline = shared
    connection = http.client.HTTPConnection("127.0.0.1", cluster.edge_ports["edge-1"], timeout=5)
    for _ in range(3):  # one kept-alive connection, several requests
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["ok"] is True
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    assert response.status in (301, 302) and response.getheader("Location") == "/play/"
    connection.request("GET", "/status", headers={"Upgrade": "websocket", "Connection": "Upgrade"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200, "an upgrade of another path is HTTP, not the game"
    connection.close()
    still_served(cluster, player, witness, baseline, "HTTP requests")
