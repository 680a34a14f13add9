"""The edge: players' websockets in front, one DEALER to the broker behind.

One port (``edge.door``): a websocket upgrade of ``/`` becomes a picows
connection (``edge.player``: frames parsed in C, each message checked once),
everything else is Tornado's HTTP. The edge forwards ``(conn, type, raw)`` to
the broker in one batch per loop turn and writes what the broker sends back:
a payload meant for many sockets is framed once, and what one broker frame
holds for a socket is joined and written to its transport in one call.

The DEALER is a plain ZeroMQ socket read from the event loop's reader
callback (its descriptor is edge-triggered: the callback drains it, and every
send checks for what arrived meanwhile); the loop is uvloop's when installed.

On the same port it serves the web client (``/play/``), the status page
(``/status``, ``/status.json``, ``/status/history.json``: ``edge.history``),
Prometheus metrics (``/metrics``) and ``/healthz``; with ``edge.tls_cert`` and
``edge.tls_key`` set, all of it over TLS.
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import signal
import ssl
import time
from pathlib import Path
from socket import gethostname

import tornado.httpserver
import tornado.ioloop
import tornado.web
import zmq
from picows import WSCloseCode

from cluster import fabric, wire
from cluster.config import Config
from cluster.counters import by_type
from cluster.link import BrokerLink, now_ms
from cluster.logs import RateLimitedLog
from cluster.loop import start_lifeline
from edge import metrics
from edge.door import FrontDoor
from edge.framing import text_frame
from edge.history_web import HistorySampler, new_history, routes as history_routes
from edge.limits import AddressLimits, RateLimiter
from edge.player import GameSocket, protocol_factory
from edge.status import Rates, StatusCache, status_view

log = logging.getLogger(__name__)

MAX_FRAMES_PER_TURN = 200  # broker frames handled before the websockets get a turn
LAG_PROBE_MS = 100
LAG_PROBES = 3
STATIC = Path(__file__).resolve().parent / "static"  # the bundled web client and the status page
CONFIG_ERROR_EXIT = 2  # the supervisor does not restart a node that exits with this


class Health(tornado.web.RequestHandler):
    """``GET /healthz``: is this edge up and does it hear the broker?"""

    def initialize(self, edge: "Edge") -> None:
        self.edge = edge

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": True, "name": self.edge.name,
                                "broker": self.edge.link.broker_alive,
                                "connections": len(self.edge.sockets)}))


class StatusJson(tornado.web.RequestHandler):
    """``GET /status.json``: the cluster view with rates, as the status page shows it."""

    def initialize(self, edge: "Edge") -> None:
        self.edge = edge

    async def get(self) -> None:
        view = await self.edge.status_view()
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(view))


class Metrics(tornado.web.RequestHandler):
    """``GET /metrics``: the same view in the Prometheus text format."""

    def initialize(self, edge: "Edge") -> None:
        self.edge = edge

    async def get(self) -> None:
        body, content_type = metrics.render(await self.edge.status_view())
        self.set_header("Content-Type", content_type)
        self.finish(body)


class StatusPage(tornado.web.RequestHandler):
    """``GET /status``: the status page (static HTML and script that polls /status.json)."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC / "status" / "index.html").read_bytes())


class Edge:
    """The edge node: websockets, the broker link and the batches between them."""

    def __init__(self, config: Config, name: str, host: str, port: int) -> None:
        self.config = config
        self.name = name
        self.host = host
        self.port = port
        self.sockets: dict[int, GameSocket] = {}
        self.next_conn = int(time.time() * 1000) % 1_000_000_000 * 1000
        self.link = BrokerLink(wire.ROLE_EDGE, name, config.heartbeat.interval_ms,
                               config.heartbeat.liveness, self.announce, self.stats)
        self.dealer = fabric.node_dealer(config, self.link.identity, linger_ms=0)
        self.pending: dict[int, bytes | list[bytes]] = {}  # conn → frames of this broker frame
        self.complain = RateLimitedLog(log)
        self.login_limits = AddressLimits(config.edge.login_rate_per_address, config.edge.login_burst_per_address)
        # How late the lag probe ran, its last few runs: the edge's overload, seen from inside.
        self.probe_lags_ms: collections.deque = collections.deque([0.0] * LAG_PROBES, maxlen=LAG_PROBES)
        self.busy_refusals = 0
        self.lifeline = None
        self.flush_scheduled = False
        self.flushed_at = 0.0
        self.turn_s = config.cluster.turn_ms / 1000  # a busy edge sends the broker a batch at most this often
        self.status = StatusCache(lambda: self.forward([wire.STATUS]), config.edge.status_cache_ms)
        self.rates = Rates()
        self.history = new_history(config)  # the charts of /status (edge.history)
        # Counters for /metrics (see README: Status and metrics).
        self.packets_in: dict = {}  # accepted frames by packet type
        self.rejected: dict[str, int] = {}  # connections closed for a bad frame, by reason
        self.bytes_in = self.bytes_out = self.frames_out = 0
        self.handlers = {wire.OUT: self.on_out, wire.CLOSE: self.on_close,
                         wire.BIND: self.on_bind, wire.PLACE: self.on_place,
                         wire.STATUS_REPLY: self.status.on_reply}

    def admit_login(self, address: str) -> bool:
        """Admission control at the door: under overload, or over an address's login rate, "busy"."""
        if self.loop_lag_ms() <= self.config.edge.busy_lag_ms and self.login_limits.allow(address, time.monotonic()):
            return True
        self.busy_refusals += 1
        return False

    def probe(self, expected_at: float) -> None:
        """Every LAG_PROBE_MS: the loop's progress for the watchdog, and how late it runs."""
        now = time.monotonic()
        self.probe_lags_ms.append(max(0.0, (now - expected_at) * 1000))
        if self.lifeline is not None:
            self.lifeline.turn()
        asyncio.get_running_loop().call_later(LAG_PROBE_MS / 1000, self.probe, now + LAG_PROBE_MS / 1000)

    def loop_lag_ms(self) -> float:
        """The loop's lateness over the last few probes: one late probe is a pause, not overload."""
        return min(self.probe_lags_ms)

    def new_limiter(self) -> RateLimiter:
        return RateLimiter(self.config.edge.packets_per_second, self.config.edge.burst)

    def announce(self) -> dict:
        return {"sessions": [[s.conn, s.pid, s.account_id, s.char_key, s.map_id]
                             for s in self.sockets.values()]}

    def stats(self) -> dict:
        return {"sessions": len(self.sockets), "packets_in": by_type(self.packets_in),
                "frames_out": self.frames_out, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
                "rejected": dict(self.rejected), "broker_connected": self.link.broker_alive,
                "busy_refusals": self.busy_refusals, "loop_lag_ms": round(self.loop_lag_ms(), 1)}

    async def status_view(self) -> dict:
        """The broker's view (cached), with this edge's live counters and the rates."""
        view = await self.status.get()
        own = {"role": wire.ROLE_EDGE, "name": self.name, "host": gethostname(), "pid": os.getpid(),
               "stats": self.link.heartbeat_stats()}
        return status_view(view, self.status.age_ms(), own, self.rates)

    # --- websockets → broker ------------------------------------------------------
    def register(self, socket: GameSocket) -> int:
        self.next_conn += 1
        self.sockets[self.next_conn] = socket
        return self.next_conn

    def unregister(self, socket: GameSocket) -> None:
        if self.sockets.pop(socket.conn, None) is not None:
            self.forward([wire.CLOSED, socket.conn])

    def forward(self, command: list) -> None:
        self.link.queue(command)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            wait = self.flushed_at + self.turn_s - time.perf_counter()
            loop = asyncio.get_running_loop()
            if wait > 0:
                loop.call_later(wait, self.flush)
            else:
                loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        frame = self.link.take_frame()
        if frame is not None:
            self.flushed_at = time.perf_counter()
            try:
                self.dealer.send(frame, zmq.NOBLOCK)
            except zmq.ZMQError as error:  # the broker's queue is full (or it is gone)
                self.complain("send failed", "could not send to the broker (%s); dropped a batch", error)
        # A send may consume the descriptor's edge: read what arrived meanwhile.
        if self.dealer.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            asyncio.get_running_loop().call_soon(self.on_readable)

    # --- broker → websockets ------------------------------------------------------
    def on_readable(self) -> None:
        """The DEALER's descriptor fired (or a send saw traffic): drain it, a turn's worth."""
        for _ in range(MAX_FRAMES_PER_TURN):
            try:
                frame = self.dealer.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            self.on_frame(frame)
        else:
            asyncio.get_running_loop().call_soon(self.on_readable)  # more waits: websockets first
        if self.link.pending:
            self.flush()

    def on_frame(self, frame: bytes) -> None:
        try:
            commands = self.link.on_frame(frame)
        except ValueError as error:
            self.complain("bad frame", "bad frame from the broker: %s", error)
            return
        for command in commands:
            handler = self.handlers.get(command[0])
            if handler is None:
                continue  # the link's own (HB, WHO)
            try:
                handler(*command[1:])
            except Exception:  # a bug costs one command, never the edge
                self.complain(f"{command[0]} failed", "%s from the broker failed", command[0], exc_info=True)
        if self.pending:
            self.write_pending()

    def on_out(self, conns: list[int], payload: bytes) -> None:
        """Frame the payload once; it is written with the rest of this broker frame (write_pending)."""
        frame = text_frame(payload)
        pending = self.pending
        for conn in conns:
            queued = pending.get(conn)
            if queued is None:
                pending[conn] = frame
            elif type(queued) is list:
                queued.append(frame)
            else:
                pending[conn] = [queued, frame]

    def write_pending(self) -> None:
        """One write per socket of everything the last broker frame held for it."""
        pending, self.pending = self.pending, {}
        sockets = self.sockets
        frames = size = 0
        for conn, data in pending.items():
            socket = sockets.get(conn)
            if socket is None:
                continue
            count = 1
            if type(data) is list:
                count, data = len(data), b"".join(data)
            if socket.write_frame(data):
                frames += count
                size += len(data)
        self.frames_out += frames
        self.bytes_out += size

    def on_close(self, conn: int) -> None:
        socket = self.sockets.get(conn)
        if socket is not None:
            if self.pending:
                self.write_pending()  # what came before the close is sent before it
            socket.close()

    def on_bind(self, conn: int, pid: int, account_id: int) -> None:
        socket = self.sockets.get(conn)
        if socket is not None:
            socket.pid, socket.account_id = pid, account_id

    def on_place(self, conn: int, map_id: int | None, char_key: list | None) -> None:
        socket = self.sockets.get(conn)
        if socket is not None:
            socket.map_id, socket.char_key = map_id, char_key

    def tick(self) -> None:
        self.link.tick(now_ms())
        self.flush()

    # --- life -------------------------------------------------------------------
    async def serve(self, tls: ssl.SSLContext | None = None) -> None:
        self.lifeline = start_lifeline(self.config, self.link)
        self.probe(time.monotonic())
        app = tornado.web.Application(
            [(r"/", tornado.web.RedirectHandler, {"url": "/play/"}), (r"/healthz", Health, {"edge": self}),
             (r"/play", tornado.web.RedirectHandler, {"url": "/play/"}),
             (r"/play/(.*)", tornado.web.StaticFileHandler,
              {"path": str(STATIC / "play"), "default_filename": "index.html"}),
             (r"/status/?", StatusPage), (r"/status\.json", StatusJson, {"edge": self}),
             (r"/metrics", Metrics, {"edge": self}), *history_routes(self.history, STATIC / "status")])
        # The handshake timeout bounds a request head (the door), the TLS handshake, the websocket
        # upgrade (picows) and a kept-alive HTTP connection's idle time (Tornado, behind the door).
        timeout_s = self.config.edge.handshake_timeout_ms / 1000
        http = tornado.httpserver.HTTPServer(app, max_buffer_size=self.config.edge.max_frame_bytes * 4,
                                             idle_connection_timeout=timeout_s)
        game = protocol_factory(self, timeout_s, self.config.edge.max_frame_bytes)
        server = await asyncio.get_running_loop().create_server(
            lambda: FrontDoor(game, http.handle_stream, timeout_s), self.host or None, self.port, ssl=tls,
            backlog=1024, reuse_address=True, ssl_handshake_timeout=timeout_s if tls else None)
        scheme = "wss" if tls else "ws"
        log.info("edge %s listening on %s://%s:%d/ (broker %s)", self.name, scheme, self.host, self.port,
                 self.config.broker_endpoint)
        self.tick()
        ticker = tornado.ioloop.PeriodicCallback(self.tick, max(50, self.config.heartbeat.interval_ms // 4))
        ticker.start()
        loop = asyncio.get_running_loop()
        loop.add_reader(self.dealer.getsockopt(zmq.FD), self.on_readable)
        self.on_readable()
        sampler = HistorySampler(self.history, self.status_view)
        sampler.start()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        self.lifeline.stopping()
        log.info("edge %s stopping: no new connections, closing %d sockets", self.name, len(self.sockets))
        server.close()
        for socket in list(self.sockets.values()):
            socket.close(WSCloseCode.GOING_AWAY, "server shutting down")
        await asyncio.sleep(0.2)
        ticker.stop()
        sampler.stop()
        self.link.bye()
        self.flush()
        await asyncio.sleep(0.1)
        loop.remove_reader(self.dealer.getsockopt(zmq.FD))
        self.dealer.close(0)
        self.lifeline.close()
        await http.close_all_connections()


def tls_context(config: Config) -> ssl.SSLContext | None:
    """The server-side TLS context of edge.tls_cert / edge.tls_key; None without them."""
    paths = config.edge_tls
    if paths is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(*paths)
    except (OSError, ssl.SSLError) as error:
        log.error("cannot load the TLS certificate %s and key %s: %s", *paths, error)
        raise SystemExit(CONFIG_ERROR_EXIT)
    return context


def run(config: Config, name: str, port: int | None = None) -> None:
    """Serve websockets on edge.host and the node's port until SIGTERM / SIGINT."""
    entry = config.node("edge", name)
    port = port if port is not None else (entry.port or config.edge.port)
    tls = tls_context(config)
    with asyncio.Runner(loop_factory=new_event_loop()) as runner:
        runner.run(Edge(config, name, config.edge.host, port).serve(tls))


def new_event_loop():
    """uvloop's loop factory where it is installed (a cheaper loop for thousands of sockets), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop has wheels for Linux and macOS
        return None
    return uvloop.new_event_loop
