"""edge.door: which servers a connection's first request head goes to."""
from __future__ import annotations

import asyncio

import pytest

from edge.door import is_game_upgrade, feed



@pytest.mark.parametrize("head", [
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade",
    b"GET /?client=2 HTTP/1.1\r\nupgrade:WebSocket\r\nHost: x",
    b"GET / HTTP/1.1\r\nHost: x\r\nUPGRADE:   websocket  ",
])
def test_a_websocket_upgrade_of_the_root_is_the_game(head):
    assert is_game_upgrade(head)


@pytest.mark.parametrize("head", [
    b"GET / HTTP/1.1\r\nHost: x",  # a browser opening the address: Tornado redirects it to /play/
    b"GET /status HTTP/1.1\r\nUpgrade: websocket",  # an upgrade elsewhere: Tornado refuses it
    b"GET /play/ HTTP/1.1\r\nUpgrade: websocket",
    b"POST / HTTP/1.1\r\nUpgrade: websocket",
    b"GET / HTTP/1.0\r\nUpgrade: websocket",
    b"GET  / HTTP/1.1\r\nUpgrade: websocket",
    b"GET / HTTP/1.1\r\nX-Upgrade: websocket",
    b"GET / HTTP/1.1\r\nUpgrade: websocket2",
    b"\r\n\r\n\r\n",
    b"\x16\x03\x01\x02\x00" + bytes(range(256)),
    b"",
])
def test_anything_else_is_http(head):
    assert not is_game_upgrade(head)


class Buffered(asyncio.BufferedProtocol):
    """A buffered protocol whose buffer is smaller than what it is fed."""

    def __init__(self, size: int) -> None:
        self.buffer = bytearray(size)
        self.got = bytearray()

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.got += self.buffer[:nbytes]


class Plain(asyncio.Protocol):
    def __init__(self) -> None:
        self.got = bytearray()

    def data_received(self, data: bytes) -> None:
        self.got += data


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_feed_hands_every_byte_to_a_buffered_protocol_in_order(size):
    data = bytes(range(256)) * 10
    protocol = Buffered(size)
    feed(protocol, data)
    assert bytes(protocol.got) == data


def test_feed_hands_the_bytes_to_a_plain_protocol():
    protocol = Plain()
    feed(protocol, b"GET / HTTP/1.1\r\n\r\n")
    assert protocol.got == b"GET / HTTP/1.1\r\n\r\n"
