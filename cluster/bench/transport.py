"""The websocket client under ``odyssey bench``: picows on uvloop, or Tornado when picows is missing.

A bench that costs more CPU than the server it loads measures itself, so
the fast path is picows (a Cython websocket client that hands each frame to
one callback) on uvloop, with orjson; measured on the bench's traffic (a
move a second per bot, nine relays back) it costs about a sixth of Tornado's
client. Each piece is optional: without picows the bench uses Tornado's
client, without uvloop asyncio's own loop, without orjson the json module;
``describe()`` says which, and the report prints it.

A backend calls three methods of the bot it serves: ``on_text(payload)``
(bytes or str, one whole text message), ``on_bad_frame(what)`` and
``on_closed(code)`` (once, when the socket is gone). ``connect`` returns a
connection with ``send(payload: bytes) -> bool`` and ``close()``.
"""
from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is an install requirement
    orjson = None
try:
    import picows
except ImportError:  # pragma: no cover - picows is an install requirement
    picows = None
try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is an install requirement
    uvloop = None

BACKENDS = ("picows", "tornado")


def _json_dumps(msg: dict) -> bytes:
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


loads: Callable[[bytes | str], Any] = orjson.loads if orjson is not None else json.loads
dumps: Callable[[dict], bytes] = orjson.dumps if orjson is not None else _json_dumps


class FrameSink(Protocol):
    """What a backend calls on the bot that owns the socket."""

    def on_text(self, payload: bytes | str) -> None: ...
    def on_bad_frame(self, what: str) -> None: ...
    def on_closed(self, code: int | None) -> None: ...


class Connection(Protocol):
    def send(self, payload: bytes) -> bool: ...
    def close(self) -> None: ...


def default_backend() -> str:
    return "picows" if picows is not None else "tornado"


def describe(backend: str) -> str:
    """E.g. ``picows on uvloop, orjson``; says what is missing (and so slower)."""
    if backend == "picows":
        client = "picows"
    elif picows is None:
        client = "tornado (picows not installed: slower)"
    else:
        client = "tornado (chosen with --client: slower)"
    loop = "uvloop" if uvloop is not None else "asyncio (uvloop not installed: slower)"
    parser = "orjson" if orjson is not None else "json (orjson not installed: slower)"
    return f"{client} on {loop}, {parser}"


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """Run the bench's event loop: uvloop's when installed."""
    if uvloop is not None:
        return uvloop.run(main)
    return asyncio.run(main)


async def connect(backend: str, url: str, sink: FrameSink, timeout_s: float,
                  tls: ssl.SSLContext | None = None) -> Connection:
    """Open a websocket to ``url`` that feeds ``sink``; raises on any failure to connect."""
    opener: Callable[..., Awaitable[Connection]] = _connect_picows if backend == "picows" else _connect_tornado
    return await asyncio.wait_for(opener(url, sink, timeout_s, tls), timeout_s)


# --- picows -----------------------------------------------------------------------

if picows is not None:
    _TEXT, _CLOSE, _BINARY = picows.WSMsgType.TEXT, picows.WSMsgType.CLOSE, picows.WSMsgType.BINARY

    class _PicowsListener(picows.WSListener):
        """Hands picows frames to the bot: whole text messages, a close, anything else as a bad frame."""

        def __init__(self, sink: FrameSink) -> None:
            super().__init__()
            self.sink = sink
            self.close_code: int | None = None

        def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
            kind = frame.msg_type
            if kind == _TEXT and frame.fin:
                self.sink.on_text(frame.get_payload_as_bytes())
            elif kind == _CLOSE:
                self.close_code = int(frame.get_close_code())
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            elif kind == _BINARY:
                self.sink.on_bad_frame("binary frame (the protocol is text frames only)")
            elif kind == _TEXT or kind == picows.WSMsgType.CONTINUATION:
                self.sink.on_bad_frame("fragmented text message (the server sends whole frames)")

        def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
            self.sink.on_closed(self.close_code)

    class _PicowsConnection:
        __slots__ = ("transport",)

        def __init__(self, transport: picows.WSTransport) -> None:
            self.transport = transport

        def send(self, payload: bytes) -> bool:
            if self.transport.is_disconnected:
                return False
            self.transport.send(_TEXT, payload)
            return True

        def close(self) -> None:
            transport = self.transport
            if not transport.is_close_frame_sent:
                transport.send_close(picows.WSCloseCode.OK)
            transport.disconnect()


async def _connect_picows(url: str, sink: FrameSink, timeout_s: float, tls: ssl.SSLContext | None) -> Connection:
    if picows is None:
        raise RuntimeError("picows is not installed")
    transport, _listener = await picows.ws_connect(lambda: _PicowsListener(sink), url, ssl_context=tls,
                                                   websocket_handshake_timeout=timeout_s,
                                                   max_frame_size=1 << 24)
    return _PicowsConnection(transport)


# --- Tornado (the fallback) ----------------------------------------------------------

class _TornadoConnection:
    __slots__ = ("connection",)

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def send(self, payload: bytes) -> bool:
        from tornado.websocket import WebSocketClosedError
        try:
            written = self.connection.write_message(payload.decode("utf-8"))  # bytes would be a binary frame
        except WebSocketClosedError:
            return False
        written.add_done_callback(_ignore_write_error)  # a close is reported by on_closed
        return True

    def close(self) -> None:
        self.connection.close()


async def _connect_tornado(url: str, sink: FrameSink, timeout_s: float, tls: ssl.SSLContext | None) -> Connection:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    holder: list[Any] = []

    def on_message(frame: str | bytes | None) -> None:
        if frame is None:
            sink.on_closed(holder[0].close_code if holder else None)
        elif isinstance(frame, bytes):
            sink.on_bad_frame("binary frame (the protocol is text frames only)")
        else:
            sink.on_text(frame)

    request = HTTPRequest(url, connect_timeout=timeout_s, ssl_options=tls)
    connection = await websocket_connect(request, on_message_callback=on_message, max_message_size=1 << 24)
    holder.append(connection)
    return _TornadoConnection(connection)


def _ignore_write_error(written: asyncio.Future[None]) -> None:
    if not written.cancelled():
        written.exception()
