"""One player's websocket at ``/``: a picows listener (frames parsed in C, masks undone with SIMD).

It checks each message once (text, size, rate, strict JSON — ``packets.decode`` — holding an
object with an integer ``type``) and hands ``(conn, type, raw)`` to the edge. Fragmented messages
are joined here, up to ``edge.max_frame_bytes``; a frame with reserved bits, a continuation
without a start or a new message inside a fragmented one closes the connection (RFC 6455 5.4),
as picows itself does for unmasked frames, reserved opcodes and malformed control frames.
Pings are answered by picows. What the broker sends is written pre-framed (``edge.framing``)
straight to the transport: with nothing queued, uvloop sends it at once in one call.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from picows import WSAutoPingStrategy, WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport
from picows.picows import WSProtocol

from cluster import packets, wire
from cluster.counters import count_type
from cluster.logs import RateLimitedLog

if TYPE_CHECKING:
    from edge.node import Edge

log = logging.getLogger(__name__)

MAX_TYPE = 2**31 - 1  # larger "types" are not packet types: the frame is malformed
LOGIN_TYPES = (packets.CREATE_ACCOUNT, packets.LOGIN)  # each costs a password hash in storage
# A player whose socket holds this much unsent is not reading: he is closed, not buffered for.
SLOW_READER_BYTES = 1 << 20
TEXT, BINARY, CONTINUATION, CLOSE = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION, WSMsgType.CLOSE


class PicowsLog:
    """picows's logger: its per-connection info lines dropped, its warnings and errors rate-limited."""

    def __init__(self) -> None:
        self.complain = RateLimitedLog(log)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - the logging.Logger interface
        return level >= logging.WARNING

    def log(self, level: int, message: str, *args, **_kwargs) -> None:
        if level >= logging.WARNING:
            self.complain(message, "websocket: " + message, *args)

    def debug(self, *_args, **_kwargs) -> None:
        pass

    info = debug

    def warning(self, message: str, *args, **_kwargs) -> None:
        self.log(logging.WARNING, message, *args)

    error = exception = warning


class GameSocket(WSListener):
    """One player's connection, from the handshake to the close."""

    def __init__(self, edge: "Edge") -> None:
        super().__init__()
        self.edge = edge
        self.address = ""
        self.conn = 0
        self.pid: int | None = None
        self.account_id: int | None = None
        self.map_id: int | None = None
        self.char_key: list | None = None
        self.limiter = edge.new_limiter()
        self.transport: WSTransport | None = None
        self.raw = None  # the asyncio transport under the websocket
        self.closing = False
        self.paused = False  # the kernel's buffer is full: the player reads slower than we write
        self.fragments: list[bytes] | None = None  # a fragmented message so far (its first is text)
        self.fragment_bytes = 0

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.raw = transport.underlying_transport
        peer = self.raw.get_extra_info("peername")
        self.address = peer[0] if isinstance(peer, tuple) else ""
        self.conn = self.edge.register(self)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closing = True
        self.edge.unregister(self)

    def pause_writing(self) -> None:
        """The kernel holds all it will of what we sent: stop reading this player until it drains,
        so a client that sends (pings, say) without reading what it is answered waits for itself."""
        self.paused = True
        self.raw.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        if not self.closing:
            self.raw.resume_reading()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if self.closing:
            return
        kind = frame.msg_type
        if frame.rsv1 or frame.rsv2 or frame.rsv3:
            self.reject("protocol", "a frame with reserved bits set")
        elif kind is TEXT or kind is BINARY:
            if self.fragments is not None:
                self.reject("protocol", "a new message inside a fragmented one")
            elif kind is BINARY:
                self.edge.bytes_in += frame.payload_size
                self.reject("binary", "a binary frame")
            elif frame.fin:
                self.on_message(frame.get_payload_as_bytes())
            else:
                self.fragments, self.fragment_bytes = [frame.get_payload_as_bytes()], frame.payload_size
        elif kind is CONTINUATION:
            self.on_continuation(frame)
        elif kind is CLOSE:
            self.closing = True
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()
        # A PONG (unasked for) is ignored; PINGs never get here (picows answers them).

    def on_continuation(self, frame: WSFrame) -> None:
        if self.fragments is None:
            self.reject("protocol", "a continuation without a start")
            return
        self.fragment_bytes += frame.payload_size
        if self.fragment_bytes > self.edge.config.edge.max_frame_bytes:
            self.reject("too_big", "a fragmented message over the size limit")
            return
        self.fragments.append(frame.get_payload_as_bytes())
        if frame.fin:
            message, self.fragments = b"".join(self.fragments), None
            self.on_message(message)

    def on_message(self, raw: bytes) -> None:
        """One whole text message (its frames joined)."""
        edge = self.edge
        edge.bytes_in += len(raw)
        if not self.limiter.allow(time.monotonic()):
            self.reject("rate", "over the packet rate limit")
            return
        try:
            packet = packets.decode(raw)
        except ValueError:  # not UTF-8, not strict JSON: NaN, Infinity, a lone surrogate, too deep
            self.reject("not_json", "a frame that is not JSON")
            return
        packet_type = packet.get("type") if isinstance(packet, dict) else None
        if type(packet_type) is float:  # perhaps an integer over 64 bits (orjson): read it exactly
            packet_type = packets.decode_exact(raw).get("type")
        if not isinstance(packet_type, int) or isinstance(packet_type, bool):
            self.reject("no_type", "a frame without an integer type")
            return
        if packet_type < 0:
            return  # PROTOCOL 2.1: negative types are ignored
        if packet_type > MAX_TYPE:
            self.reject("bad_type", "a frame with an impossible type")
            return
        count_type(edge.packets_in, packet_type)
        if packet_type in LOGIN_TYPES and not edge.admit_login(self.address):
            self.transport.send(TEXT, packets.encode(packets.busy()))
            return
        edge.forward([wire.IN, self.conn, packet_type, raw])

    def reject(self, reason: str, what: str) -> None:
        rejected = self.edge.rejected
        rejected[reason] = rejected.get(reason, 0) + 1
        self.edge.complain(f"reject {reason}", "conn %s (%s) sent %s; closing it", self.conn, self.address, what)
        self.close(WSCloseCode.POLICY_VIOLATION, "bad frame")

    def close(self, code: WSCloseCode = WSCloseCode.NO_INFO, reason: str = "") -> None:
        """Send a close frame (after everything written before it) and end the connection."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self.transport.send_close(code, reason.encode())
        self.transport.disconnect()

    def write_frame(self, frame: bytes) -> bool:
        """Write already-framed messages to this socket; False if it is closing."""
        if self.closing:
            return False
        if self.paused and self.raw.get_write_buffer_size() > SLOW_READER_BYTES:
            self.edge.complain("slow reader", "conn %s (%s) does not read what it is sent; closing it",
                               self.conn, self.address)
            self.closing = True
            self.raw.abort()
            return False
        self.raw.write(frame)
        return True


def protocol_factory(edge: "Edge", handshake_timeout_s: float, max_frame_bytes: int):
    """A factory of picows server protocols whose listener is a ``GameSocket`` of ``edge``: the
    protocol ``picows.ws_create_server`` builds, made here because the edge's door, not picows,
    owns the listening socket (``edge.door``)."""
    picows_log = PicowsLog()

    def new_protocol() -> WSProtocol:
        # host and path (a server's: none), client side, listener factory, logger, disconnect on an
        # exception, handshake timeout, auto ping (off; idle s, reply s, strategy), auto pong,
        # max frame size, extra headers, initial read buffer.
        return WSProtocol(None, None, False, lambda _request: GameSocket(edge), picows_log, True,
                          handshake_timeout_s, False, 20, 20, WSAutoPingStrategy.PING_WHEN_IDLE,
                          True, max_frame_bytes, None, 16 * 1024)

    return new_protocol
