"""The edge's one port, and who answers behind it.

A connection's first request head decides. A websocket upgrade of ``/`` (the game) is handed,
with the bytes read so far, to a picows protocol on the same transport: from then on its frames
are parsed in C and the edge writes pre-framed bytes to the transport (``edge.player``). Anything
else — the web client, the status page, metrics, a health check — is piped to Tornado's HTTP
server through a socket pair, one per connection. A head that does not end within
``edge.handshake_timeout_ms`` or ``MAX_HEAD_BYTES`` is closed. With TLS the door's transport
decrypts, so both servers behind it see plain bytes.
"""
from __future__ import annotations

import asyncio
import socket
from typing import Callable

from tornado.iostream import IOStream

MAX_HEAD_BYTES = 32 * 1024  # a browser's request head with its cookies fits many times over


def is_game_upgrade(head: bytes) -> bool:
    """True for ``GET /`` (a query allowed) over HTTP/1.1 with ``Upgrade: websocket``."""
    lines = head.split(b"\r\n")
    request = lines[0].split(b" ")
    if len(request) != 3 or request[0] != b"GET" or request[2] != b"HTTP/1.1":
        return False
    if request[1] != b"/" and not request[1].startswith(b"/?"):
        return False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"upgrade" and value.strip().lower() == b"websocket":
            return True
    return False


def feed(protocol: asyncio.BaseProtocol, data: bytes) -> None:
    """Give a protocol the bytes the door has already read, as its transport would have."""
    if isinstance(protocol, asyncio.BufferedProtocol):
        view = memoryview(data)
        while view:
            buffer = protocol.get_buffer(len(view))
            size = min(len(buffer), len(view))
            buffer[:size] = view[:size]
            protocol.buffer_updated(size)
            view = view[size:]
    else:
        protocol.data_received(data)


class FrontDoor(asyncio.Protocol):
    """A new connection, until its first request head says what it is."""

    def __init__(self, game: Callable[[], asyncio.BaseProtocol], http: Callable[[IOStream, tuple], None],
                 timeout_s: float) -> None:
        self.game = game
        self.http = http
        self.timeout_s = timeout_s
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.timer = asyncio.get_running_loop().call_later(self.timeout_s, transport.abort)

    def data_received(self, data: bytes) -> None:
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > MAX_HEAD_BYTES:
                self.refuse()
            return
        self.timer.cancel()
        head = bytes(self.head)
        self.head = bytearray()
        protocol = self.game() if is_game_upgrade(head[:end]) else HttpPipe(self.http)
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        feed(protocol, head)

    def refuse(self) -> None:
        self.timer.cancel()
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
                             b"Content-Length: 0\r\n\r\n")
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()


class HttpPipe(asyncio.Protocol):
    """An HTTP connection, piped to Tornado (one end of a socket pair is Tornado's stream)."""

    def __init__(self, http: Callable[[IOStream, tuple], None]) -> None:
        self.http = http
        self.front: asyncio.Transport | None = None
        self.back: asyncio.Transport | None = None
        self.early: list[bytes] = []

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.front = transport
        ours, theirs = socket.socketpair()
        peer = transport.get_extra_info("peername")
        self.http(IOStream(theirs), peer if isinstance(peer, tuple) else ("", 0))
        ours.setblocking(False)
        asyncio.get_running_loop().create_task(self.connect(ours))

    async def connect(self, ours: socket.socket) -> None:
        try:
            self.back, _ = await asyncio.get_running_loop().create_unix_connection(lambda: _Back(self), sock=ours)
        except OSError:
            self.front.abort()
            return
        if self.front.is_closing():
            self.back.close()
            return
        self.back.write(b"".join(self.early))
        self.early = []

    def data_received(self, data: bytes) -> None:
        if self.back is None:
            self.early.append(data)
        else:
            self.back.write(data)

    def pause_writing(self) -> None:  # the client reads slowly: stop reading Tornado's answer
        if self.back is not None:
            self.back.pause_reading()

    def resume_writing(self) -> None:
        if self.back is not None:
            self.back.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.back is not None:
            self.back.close()


class _Back(asyncio.Protocol):
    """Tornado's side of an ``HttpPipe``."""

    def __init__(self, pipe: HttpPipe) -> None:
        self.pipe = pipe

    def data_received(self, data: bytes) -> None:
        self.pipe.front.write(data)

    def pause_writing(self) -> None:  # Tornado reads slowly: stop reading the client
        self.pipe.front.pause_reading()

    def resume_writing(self) -> None:
        self.pipe.front.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.pipe.front.close()
