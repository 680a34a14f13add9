"""The broker: one ROUTER socket, the node registry, sessions, leases and pokes.

The loop is the ZeroMQ guide's: poll, dispatch each command to its handler,
heartbeat, expire. Everything it sends in one turn leaves as one frame per
peer. It never parses client JSON: it routes on the packet type the edge
read and on the session table.
"""
from __future__ import annotations

import logging

from broker.crashes import Crashes
from broker.leases import Leases
from broker.lookups import Lookups
from broker.registry import Registry
from broker.tables import BrokerCounters, MapRoute, NodeInfo, PokeTimers, Session
from broker.view import cluster_view
from cluster import wire
from cluster.config import Config
from cluster.lifeline import GUARDIAN_SUFFIX, LIFE_SUFFIX
from cluster.link import now_ms
from cluster.logs import RateLimitedLog

log = logging.getLogger(__name__)


class Broker(Registry, Leases, Crashes, Lookups):
    """Routing, leases and pokes for the whole cluster."""

    def __init__(self, config: Config, name: str = "broker", authorized=None) -> None:
        self.config = config
        self.authorized = authorized  # cluster.keys.AuthorizedKeys with CurveZMQ, else None (ipc: all trusted)
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
        self.presumed_dead: dict[str, str] = {}  # node name → the incarnation declared dead
        self.quarantined: dict[str, dict] = {}  # script → {script, function, reason, at_ms}
        self.complain = RateLimitedLog(log)
        self.started_ms = now_ms()
        self.recovering = True
        self.last_epoch = self.started_ms  # epochs only grow, across restarts too
        self.next_heartbeat_ms = 0
        self.last_housekeeping_ms = self.started_ms
        self.behind = False  # the last receive stopped at MAX_FRAMES_PER_TURN with frames still queued
        self.counters = BrokerCounters()
        self.routed = False  # the frame being handled carried client packets (for the routing latency)
        self.handlers = {
            wire.HELLO: self.on_hello, wire.HB: self.on_heartbeat, wire.BYE: self.on_bye,
            wire.LIFE: self.on_life_on_node_socket,
            wire.STATUS: self.on_status,
            wire.IN: self.on_in, wire.CLOSED: self.on_closed,
            wire.OUT: self.on_out, wire.OUT_ALL: self.on_out_all, wire.OUT_CONN: self.on_out_conn,
            wire.CLOSE_CONN: self.on_close_conn, wire.CLOSE_PID: self.on_close_pid,
            wire.BIND: self.on_bind, wire.ENTER: self.on_enter, wire.TO: self.on_to,
            wire.ADMIN_REPLY: self.on_admin_reply, wire.FOR_PLAYER: self.on_for_player,
            wire.WHISPER: self.on_whisper, wire.WHO_ONLINE: self.on_who, wire.WARPTO: self.on_warpto,
            wire.LOCATED: self.on_located, wire.FOR_MAP: self.on_for_map,
            wire.RESOURCE_CHANGED: self.on_resource_changed, wire.SCRIPT_CHANGED: self.on_script_changed,
            wire.RELOAD_WORLD: self.on_reload_world, wire.FENCED: self.on_fenced,
            wire.TRANSFER: self.on_transfer, wire.DONE: self.on_done, wire.RELEASE: self.on_release,
            wire.QUARANTINE: self.on_quarantine,
        }

    # --- plumbing -------------------------------------------------------------
    def send(self, name: str, command: list) -> None:
        """To a registered node (by its identity, which carries its incarnation); else dropped."""
        node = self.nodes.get(name)
        if node is not None:
            self.outbox.add(node.identity, command)

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

    def handle_frame(self, identity: bytes, frame: bytes, user: str | None = None) -> None:
        """One frame from a peer: every command in it is checked (``wire.TO_BROKER``) before its handler.

        With CurveZMQ, ``user`` is the peer's public key (the ZAP User-Id of the frame): it must still
        be authorized, and a node's key binds its identity: a key made for ``edge-1`` speaks only as
        the edge ``edge-1``."""
        try:
            items = wire.unpack(frame)
        except ValueError as error:
            self.complain("bad frame", "dropped a bad frame from %r: %s", identity[:40], error)
            return
        text = identity.decode("utf-8", "replace")
        name, channel = text.split("#")[0], None
        if "!" in text:  # a node's side channel: its lifeline, or its guardian's crash report
            name, channel = text.rsplit("!", 1)
        base = name
        key = None
        if self.authorized is not None:
            key = self.authorized.lookup((user or "").encode())
            if key is None:
                self.complain("revoked key", "dropped a frame from %r: its key is no longer authorized", base[:40])
                return
            if key.role != wire.ROLE_OPERATOR and key.name != base:
                self.complain(f"impostor {key.name}", "refused %r: it uses the key of the %s %s", base[:40],
                              key.role, key.name)
                return
        if channel == LIFE_SUFFIX[1:]:
            self.on_life(base, items)
            return
        if channel == GUARDIAN_SUFFIX[1:]:
            self.on_crashed(base, items)
            return
        if channel is not None:
            self.complain("channel", "dropped a frame from the unknown channel %r", text[:60])
            return
        node = self.nodes.get(name)
        if node is None or node.identity != identity:
            self.on_stranger(identity, name, items, key)
            return
        if key is not None and key.role != node.role:
            self.complain(f"impostor {name}", "refused a frame for %s from an %s key", name, key.role)
            return
        self.heard(node)
        self.handle_items(node, items)

    def handle_items(self, node: NodeInfo, items: list) -> None:
        for item in items:
            if wire.command(item) and item[0] == wire.HELLO:  # a re-announcement: of itself, nobody else
                problem = self.hello_problem(node.identity, item, node.role)
            elif wire.command(item) and item[0] in wire.STORAGE_BOUND and node.role == wire.ROLE_MAP:
                forwarded = [item[0], node.name, *item[1:]]
                problem = wire.TO_STORAGE.check(forwarded, wire.ROLE_BROKER)
                if problem is None and item[0] in wire.SPEAKS_FOR_MAP:
                    problem = self.lease_problem(node, item)
                if problem is None:
                    self.send_storage(forwarded)
                    continue
            else:
                problem = wire.TO_BROKER.check(item, node.role)
                if problem is None and item[0] in wire.SPEAKS_FOR_MAP:
                    problem = self.lease_problem(node, item)
            if problem is not None:
                self.complain(f"{node.name} {wire.TO_BROKER.kind_of(item)}", "dropped a command from %s: %s",
                              node.name, problem)
                continue
            try:
                self.handlers[item[0]](node, *item[1:])
            except Exception as error:  # a handler's bug costs one command, never the broker
                self.complain(f"{item[0]} failed", "%s from %s failed: %s: %s", item[0], node.name,
                              type(error).__name__, error)

    def on_stranger(self, identity: bytes, name: str, items: list, key=None) -> None:
        """A peer we do not know: register it, answer a status query or an operator, or ask who it is."""
        answered = False
        for index, item in enumerate(items):
            token = item[0] if wire.command(item) else None
            if token == wire.HELLO:
                role = item[1] if len(item) > 1 and item[1] in wire.NODE_ROLES else "stranger"
                if key is not None and key.role != role:
                    role = "stranger"  # a key made for one role registers as no other
                problem = self.hello_problem(identity, item, role)
                if problem is not None:
                    self.complain("stranger HELLO", "refused a stranger's HELLO: %s", problem)
                    continue
                self.on_hello(None, *item[1:], identity=identity)
                self.handle_items(self.nodes[name], items[index + 1:])
                return
            if token in (wire.STATUS, wire.ADMIN):
                # On tcp only an operator's key may administer; on ipc the data directory's owner may.
                sender = wire.ROLE_OPERATOR if key is None or key.role == wire.ROLE_OPERATOR or token == wire.STATUS \
                    else key.role
                problem = wire.TO_BROKER.check(item, sender)
                if problem is not None:
                    self.complain(f"stranger {token}", "dropped a stranger's command: %s", problem)
                elif token == wire.STATUS:
                    self.outbox.add(identity, [wire.STATUS_REPLY, self.status_view()])
                else:  # operators reach the endpoint only from inside the cluster (or with an operator key)
                    self.send_storage([wire.ADMIN, identity, *item[1:]])
                answered = True
        if not answered:
            self.outbox.add(identity, [wire.WHO])

    @staticmethod
    def hello_problem(identity: bytes, item: list, role: str) -> str | None:
        """Why a HELLO from ``identity``, which may speak as a ``role``, is refused (None: it is not).
        A node registers under the name and incarnation its identity carries, in the role its key
        (or, once registered, its first HELLO) gave it."""
        problem = wire.TO_BROKER.check(item, role)
        if problem is None and item[1] != role:
            problem = f"HELLO as a {item[1]} from a {role}"
        if problem is None and identity != f"{item[2]}#{item[5]}".encode():
            problem = f"HELLO as {str(item[2])[:40]!r} from the identity {identity[:60]!r}"
        return problem

    def on_life_on_node_socket(self, node, incarnation) -> None:
        """A lifeline beat belongs on the lifeline's socket (``on_life``); here the frame itself was life."""

    def on_status(self, node) -> None:
        """An edge asks for the cluster view (for its /status and /metrics pages)."""
        self.send(node.name, [wire.STATUS_REPLY, self.status_view()])

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
                    self.count_deaths(route)
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
        # Storage (a kick or a ban) may have anyone disconnected; a worker only a player on its own map.
        if session is not None and (node.role == wire.ROLE_STORAGE or (
                session.map_id is not None and self.route(session.map_id).owner == node.name)):
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
        """Saved (or deleted) by staff: it runs again everywhere, out of quarantine."""
        self.quarantined.pop(name, None)
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
        # The broker's own stall (a long turn, a paused process) is nobody's silence; and while
        # frames are still queued, the latest word of a node may be among them.
        stalled = now - self.last_housekeeping_ms
        self.last_housekeeping_ms = now
        if not self.behind:
            self.judge_silence(now, stalled if stalled > self.config.heartbeat.interval_ms else 0)
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
