"""The broker: one ROUTER socket, the node registry, sessions, leases and pokes.

The loop is the ZeroMQ guide's: poll, dispatch each command to its handler,
heartbeat, expire. Everything it sends in one turn leaves as one frame per
peer. It never parses client JSON: it routes on the packet type the edge
read and on the session table.
"""
from __future__ import annotations

import logging
import signal
import time

import zmq

from broker.leases import Leases
from broker.lookups import Lookups
from broker.tables import BrokerCounters, MapRoute, NodeInfo, PokeTimers, Session
from broker.view import cluster_view
from cluster import wire
from cluster.config import Config
from cluster.link import now_ms

log = logging.getLogger(__name__)

MAX_FRAMES_PER_TURN = 2000


class Broker(Leases, Lookups):
    """Routing, leases and pokes for the whole cluster."""

    def __init__(self, config: Config, name: str = "broker") -> None:
        self.config = config
        self.name = name
        self.nodes: dict[str, NodeInfo] = {}
        self.sessions: dict[tuple[str, int], Session] = {}
        self.by_pid: dict[int, Session] = {}
        self.routes: dict[int, MapRoute] = {}
        self.timers = PokeTimers()
        self.outbox = wire.Outbox()
        self.storage_waiting: list[list] = []
        self.claimed_places: dict[int, int] = {}  # pid → map_id re-announced by a worker
        self.descriptions: dict[int, dict] = {}  # pid → name, level, profession re-announced by a worker
        self.started_ms = now_ms()
        self.recovering = True
        self.last_epoch = self.started_ms  # epochs only grow, across restarts too
        self.next_heartbeat_ms = 0
        self.counters = BrokerCounters()
        self.routed = False  # the frame being handled carried client packets (for the routing latency)
        self.handlers = {
            wire.HELLO: self.on_hello, wire.HB: self.on_heartbeat, wire.BYE: self.on_bye,
            wire.STATUS: self.on_status,
            wire.IN: self.on_in, wire.CLOSED: self.on_closed,
            wire.OUT: self.on_out, wire.OUT_ALL: self.on_out_all, wire.OUT_CONN: self.on_out_conn,
            wire.CLOSE_CONN: self.on_close_conn, wire.CLOSE_PID: self.on_close_pid,
            wire.BIND: self.on_bind, wire.ENTER: self.on_enter, wire.TO: self.on_to,
            wire.ADMIN_REPLY: self.on_admin_reply, wire.FOR_PLAYER: self.on_for_player,
            wire.WHISPER: self.on_whisper, wire.WHO: self.on_who, wire.WARPTO: self.on_warpto,
            wire.LOCATED: self.on_located, wire.FOR_MAP: self.on_for_map,
            wire.RESOURCE_CHANGED: self.on_resource_changed, wire.SCRIPT_CHANGED: self.on_script_changed,
            wire.RELOAD_WORLD: self.on_reload_world,
            wire.TRANSFER: self.on_transfer, wire.DONE: self.on_done, wire.RELEASE: self.on_release,
        }

    # --- plumbing -------------------------------------------------------------
    def send(self, name: str, command: list) -> None:
        self.outbox.add(name.encode(), command)

    def send_storage(self, command: list) -> None:
        storage = self.storage_name()
        if storage is None:
            self.storage_waiting.append(command)
        else:
            self.send(storage, command)

    def storage_name(self) -> str | None:
        for node in self.nodes.values():
            if node.role == wire.ROLE_STORAGE:
                return node.name
        return None

    def live_workers(self) -> list[NodeInfo]:
        return [n for n in self.nodes.values() if n.role == wire.ROLE_MAP]

    def handle_frame(self, identity: bytes, frame: bytes) -> None:
        try:
            commands = wire.unpack(frame)
        except ValueError as error:
            log.warning("dropped a bad frame from %r: %s", identity[:40], error)
            return
        name = identity.decode(errors="replace")
        node = self.nodes.get(name)
        if node is None or node.identity != identity:
            self.on_stranger(identity, commands)
            return
        node.last_seen_ms = now_ms()
        for command in commands:
            handler = self.handlers.get(command[0])
            if handler is None:
                if command[0] in wire.STORAGE_BOUND:
                    self.send_storage([command[0], name, *command[1:]])
                else:
                    log.warning("unknown command %r from %s", command[0], name)
                continue
            try:
                handler(node, *command[1:])
            except (TypeError, ValueError, KeyError) as error:
                log.warning("bad %s from %s: %s", command[0], name, error)

    def on_stranger(self, identity: bytes, commands: list) -> None:
        """A peer we do not know: register it, answer a status query, or ask who it is."""
        for command in commands:
            if command[0] == wire.HELLO:
                self.on_hello(None, *command[1:], identity=identity)
                return
            if command[0] == wire.STATUS:
                self.outbox.add(identity, [wire.STATUS_REPLY, self.status_view()])
                return
            if command[0] == wire.ADMIN:
                # Operators reach the broker's endpoint only from inside the cluster.
                self.send_storage([wire.ADMIN, identity, *command[1:]])
                return
        self.outbox.add(identity, [wire.WHO])

    # --- registry ---------------------------------------------------------------
    def on_hello(self, node, role, name, host, pid, incarnation, state, identity=None) -> None:
        identity = identity or node.identity
        old = self.nodes.get(name)
        if old is not None and old.incarnation != incarnation:
            log.info("%s %s restarted (pid %s → %s)", role, name, old.pid, pid)
            self.forget_node(old)
        now = now_ms()
        fresh = name not in self.nodes
        self.nodes[name] = NodeInfo(identity, role, name, host, pid, incarnation, now,
                                    old.registered_ms if old and not fresh else now)
        if fresh:
            log.info("%s %s registered (host %s, pid %s)", role, name, host, pid)
        self.send(name, [wire.HB])
        if role == wire.ROLE_EDGE:
            self.adopt_sessions(name, state.get("sessions", []))
        elif role == wire.ROLE_MAP:
            self.adopt_maps(name, state.get("maps", []))
        elif role == wire.ROLE_STORAGE:
            for command in self.storage_waiting:
                self.send(name, command)
            self.storage_waiting = []
            if not self.recovering:
                self.send_sessions()

    def adopt_sessions(self, edge: str, sessions: list) -> None:
        for conn, pid, account_id, char_key, map_id in sessions:
            session = Session(edge, conn, pid, account_id, char_key, self.claimed_places.pop(pid, map_id))
            self.sessions[(edge, conn)] = session
            if pid in self.descriptions:
                self.describe(session, self.descriptions.pop(pid))
            if pid is not None:
                self.by_pid[pid] = session
                if session.map_id is not None:
                    self.route(session.map_id).players.add(pid)

    def on_heartbeat(self, node, stats=None) -> None:
        if isinstance(stats, dict):
            node.stats = stats

    def on_status(self, node) -> None:
        """An edge asks for the cluster view (for its /status and /metrics pages)."""
        self.send(node.name, [wire.STATUS_REPLY, self.status_view()])

    def on_bye(self, node) -> None:
        log.info("%s %s is leaving", node.role, node.name)
        self.forget_node(node)

    def forget_node(self, node: NodeInfo) -> None:
        """A node died or left: end its sessions or move its maps."""
        self.nodes.pop(node.name, None)
        if node.role == wire.ROLE_EDGE:
            for key in [key for key, s in self.sessions.items() if s.edge == node.name]:
                self.end_session(self.sessions[key])
        elif node.role == wire.ROLE_MAP:
            now = now_ms()
            for route in list(self.routes.values()):
                if route.owner == node.name:
                    route.owner = None
                    self.counters.lease_lost(route.map_id, node.name, route.has_work(), now)
                    if route.has_work():
                        self.grant(route)

    # --- client traffic ------------------------------------------------------------
    def on_in(self, node, conn, packet_type, raw) -> None:
        self.counters.packets_routed += 1
        self.routed = True
        key = (node.name, conn)
        session = self.sessions.get(key)
        if session is None:
            session = self.sessions[key] = Session(node.name, conn)
        if packet_type < 5:
            self.send_storage([wire.ACCT, node.name, conn, session.pid, packet_type, raw])
        elif session.pid is not None and session.map_id is not None:
            self.dispatch(self.route(session.map_id), wire.PKT, session.pid, packet_type, raw)
        elif not self.recovering:
            # PROTOCOL 2.1: a type >= 5 before entering the game closes the connection.
            self.send(node.name, [wire.CLOSE, conn])

    def on_closed(self, node, conn) -> None:
        session = self.sessions.get((node.name, conn))
        if session is not None:
            self.end_session(session)

    def end_session(self, session: Session) -> None:
        self.sessions.pop((session.edge, session.conn), None)
        if session.pid is None:
            return
        if self.by_pid.get(session.pid) is session:
            del self.by_pid[session.pid]
        in_game = session.map_id is not None
        if in_game:
            route = self.route(session.map_id)
            route.players.discard(session.pid)
            self.dispatch(route, wire.LEAVE, session.pid)
        self.send_storage([wire.LOGOUT, session.pid, in_game])

    def on_out(self, node, pids, payload) -> None:
        per_edge: dict[str, list[int]] = {}
        by_pid = self.by_pid
        for pid in pids:
            session = by_pid.get(pid)
            if session is not None:
                per_edge.setdefault(session.edge, []).append(session.conn)
        for edge, conns in per_edge.items():
            self.send(edge, [wire.OUT, conns, payload])

    def on_out_all(self, node, payload) -> None:
        per_edge: dict[str, list[int]] = {}
        for session in self.by_pid.values():
            if session.map_id is not None:
                per_edge.setdefault(session.edge, []).append(session.conn)
        for edge, conns in per_edge.items():
            self.send(edge, [wire.OUT, conns, payload])

    def on_out_conn(self, node, edge, conn, payload) -> None:
        self.send(edge, [wire.OUT, [conn], payload])

    def on_close_conn(self, node, edge, conn) -> None:
        self.send(edge, [wire.CLOSE, conn])

    def on_close_pid(self, node, pid) -> None:
        session = self.by_pid.get(pid)
        if session is not None:
            self.send(session.edge, [wire.CLOSE, session.conn])

    def on_bind(self, node, edge, conn, pid, account_id) -> None:
        session = self.sessions.get((edge, conn))
        if session is None:  # the socket closed while storage worked
            self.send_storage([wire.LOGOUT, pid, False])
            return
        session.pid, session.account_id = pid, account_id
        self.by_pid[pid] = session
        self.send(edge, [wire.BIND, conn, pid, account_id])

    def on_enter(self, node, pid, map_id, char_key, record, ignore=()) -> None:
        session = self.by_pid.get(pid)
        if session is None:
            return  # gone meanwhile; its LOGOUT already reached storage
        session.char_key = char_key
        session.ignore = frozenset(ignore)
        self.describe(session, record)
        self.place(session, map_id)
        self.dispatch(self.route(map_id), wire.JOIN, pid, char_key, record)

    def on_transfer(self, node, from_map, pid, to_map, record) -> None:
        session = self.by_pid.get(pid)
        if session is None or session.map_id != from_map:
            return  # the session ended meanwhile; the worker saved the player already
        self.describe(session, record)
        self.place(session, to_map)
        self.dispatch(self.route(to_map), wire.JOIN, pid, session.char_key, record)

    @staticmethod
    def describe(session: Session, record: dict) -> None:
        """What look-ups by name need to know of a character."""
        session.name = str(record.get("name", ""))
        session.level = record.get("level", 1)
        session.profession_id = record.get("profession_id", 0)

    def place(self, session: Session, map_id: int | None) -> None:
        if session.map_id is not None:
            self.route(session.map_id).players.discard(session.pid)
        session.map_id = map_id
        if map_id is not None:
            self.route(map_id).players.add(session.pid)
        self.send(session.edge, [wire.PLACE, session.conn, map_id, session.char_key])

    def on_to(self, node, target, command) -> None:
        self.send(target, command)

    def on_admin_reply(self, node, client, request_id, ok, message, data) -> None:
        self.outbox.add(client, [wire.ADMIN_REPLY, request_id, ok, message, data])

    def on_for_map(self, node, map_id, kind, args) -> None:
        self.dispatch(self.route(map_id), kind, *args)

    def on_resource_changed(self, node, kind, index, record) -> None:
        for worker in self.live_workers():
            self.send(worker.name, [wire.RESOURCE, kind, index, record])

    def on_script_changed(self, node, name, text) -> None:
        for worker in self.live_workers():
            self.send(worker.name, [wire.SCRIPT_UPDATE, name, text])

    def on_for_player(self, node, pid, kind, args) -> None:
        session = self.by_pid.get(pid)
        if session is not None and session.map_id is not None:
            self.dispatch(self.route(session.map_id), kind, pid, *args)

    # --- housekeeping -----------------------------------------------------------
    def housekeeping(self, now: int) -> None:
        if self.recovering and now - self.started_ms >= self.config.broker.recovery_window_ms:
            self.end_recovery()
        if now >= self.next_heartbeat_ms:
            self.next_heartbeat_ms = now + self.config.heartbeat.interval_ms
            for node in self.nodes.values():
                self.send(node.name, [wire.HB])
        dead_after = self.config.dead_after_ms
        lease_ms = self.config.lease.duration_ms
        for node in list(self.nodes.values()):
            silent = now - node.last_seen_ms
            if silent > dead_after or (node.role == wire.ROLE_MAP and silent > lease_ms):
                log.warning("%s %s missed its heartbeats (%d ms silent): presumed dead",
                            node.role, node.name, silent)
                self.forget_node(node)
        for route in self.timers.due(now, self.routes):
            if route.owner is not None:
                self.send(route.owner, [wire.POKE, route.map_id])

    def end_recovery(self) -> None:
        self.recovering = False
        log.info("recovery window over: %d nodes, %d sessions, %d maps leased",
                 len(self.nodes), len(self.sessions), sum(1 for r in self.routes.values() if r.owner))
        for pid, map_id in self.claimed_places.items():
            # A worker still holds a player whose connection ended while we were
            # away: take him off the map (and save him) as on any disconnect.
            self.dispatch(self.route(map_id), wire.LEAVE, pid)
        self.claimed_places.clear()
        self.descriptions.clear()
        for route in list(self.routes.values()):
            if route.owner is None and route.has_work():
                self.grant(route)
        self.send_sessions()

    def send_sessions(self) -> None:
        self.send_storage([wire.SESSIONS, [[s.pid, s.account_id, s.char_key, s.map_id, s.edge, s.conn]
                                           for s in self.by_pid.values()]])

    def status_view(self) -> dict:
        return cluster_view(self)


def run(config: Config, name: str = "broker") -> None:
    """Bind the ROUTER and serve until SIGTERM / SIGINT."""
    context = zmq.Context.instance()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.ROUTER_HANDOVER, 1)
    router.setsockopt(zmq.LINGER, 0)
    router.setsockopt(zmq.SNDHWM, 100_000)
    router.setsockopt(zmq.RCVHWM, 100_000)
    router.bind(config.broker_bind)
    log.info("broker listening on %s", config.broker_bind)
    broker = Broker(config, name)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    poller = zmq.Poller()
    poller.register(router, zmq.POLLIN)
    while not stopping:
        now = now_ms()
        deadline = min(broker.next_heartbeat_ms, broker.timers.next_ms() or now + 100, now + 100)
        routed_at = receive(router, broker) if poller.poll(max(0, deadline - now)) else []
        broker.housekeeping(now_ms())
        send(router, broker)
        if routed_at:
            sent_at = time.perf_counter()
            for received_at in routed_at:
                broker.counters.routing.observe(sent_at - received_at)
    log.info("broker stopping")
    router.close(0)


def receive(router: zmq.Socket, broker: Broker) -> list[float]:
    """Handle what arrived; the arrival times of the frames that carried client packets."""
    routed_at = []
    counters = broker.counters
    for _ in range(MAX_FRAMES_PER_TURN):
        try:
            identity, frame = router.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            break
        except ValueError:
            continue  # not two frames: not one of ours
        received_at = time.perf_counter()
        counters.bytes_in += len(frame)
        broker.handle_frame(identity, frame)
        if broker.routed:
            broker.routed = False
            routed_at.append(received_at)
    return routed_at


def send(router: zmq.Socket, broker: Broker) -> None:
    """The turn's outbox: one frame per peer."""
    counters = broker.counters
    for peer, frame in broker.outbox.drain():
        try:
            router.send_multipart([peer, frame], zmq.NOBLOCK)
            counters.bytes_out += len(frame)
        except zmq.ZMQError as error:
            log.warning("could not send to %r: %s", peer, error)
