"""The node registry: who is in the cluster, who is alive, and what a returning node may keep.

A mixin of ``broker.node.Broker``. Busy is not dead: any frame from a node,
and the ``LIFE`` beats of its lifeline thread, count as life, and the
broker never judges silence while it was itself stalled or behind. What a
silent node costs depends on its role:

* a node whose connection is gone (a send to it fails: its process died and
  the kernel closed its sockets) and that missed a heartbeat is dead at once;
* a **map worker** silent past ``lease.duration_ms`` is dead: its maps move
  at once (a failover); if it comes back, it keeps only the leases the
  broker still gives it (``LEASES``), the rest it must drop;
* an **edge** silent past its heartbeats but still connected (stopped,
  overloaded, cut off by the network) is *lost*: its players stay in the
  game for ``broker.edge_grace_ms`` and carry on if it speaks again; after
  that, or if it restarts, its sessions end; a session it announces later
  that the broker had ended is closed, so the client reconnects;
* **storage** is never forgotten for silence (there is only one, and what is
  sent to it waits in its queue); a restart is noticed by its new HELLO.
"""
from __future__ import annotations

import logging

from broker.tables import NodeInfo, Session
from cluster import wire
from cluster.link import now_ms

log = logging.getLogger("broker.node")

# What a HELLO's state announces; anything else in it is ignored, one bad row is skipped.
SESSION_ROW = wire.row(wire.integer, wire.optional(wire.integer), wire.optional(wire.natural),
                       wire.optional(wire.CHAR_KEY), wire.optional(wire.integer))
MAP_ROW = wire.row(wire.integer, wire.integer, wire.items(wire.row(wire.integer, wire.mapping), 10_000))
DESCRIPTION_KEYS = ("name", "level", "profession_id")
QUARANTINE_ROW = wire.row(wire.NAME, wire.NAME, wire.text(500), wire.integer)


class Registry:
    """HELLO, heartbeats, BYE, liveness and re-adoption."""

    def on_hello(self, node, role, name, host, pid, incarnation, state, identity=None) -> None:
        identity = identity or node.identity
        old = self.nodes.get(name)
        if old is not None and old.incarnation != incarnation:
            log.info("%s %s restarted (pid %s → %s)", role, name, old.pid, pid)
            self.forget_node(old)
            old = None
        now = now_ms()
        if old is None:
            came_back = self.presumed_dead.pop(name, None) == incarnation
            log.info("%s %s %s (host %s, pid %s)", role, name,
                     "is back after it was presumed dead" if came_back else "registered", host, pid)
            node = self.nodes[name] = NodeInfo(identity, role, name, host, pid, incarnation, now, now)
        else:
            node = old
            node.last_seen_ms, node.lost_at_ms = now, None
        self.send(name, [wire.HB])
        if role == wire.ROLE_EDGE:
            self.adopt_sessions(name, state.get("sessions"))
        elif role == wire.ROLE_MAP:
            self.adopt_maps(name, state.get("maps"))
        elif role == wire.ROLE_STORAGE:
            self.adopt_quarantines(state.get("quarantined"))
            for command in self.storage_waiting:
                self.send(name, command)
            self.storage_waiting = []
            if not self.recovering:
                self.send_sessions()

    def unreachable(self, identity: bytes) -> None:
        node = self.nodes.get(identity.decode("utf-8", "replace").split("#")[0])
        if node is not None and node.identity == identity and node.gone_at_ms is None:
            node.gone_at_ms = now_ms()

    def heard(self, node: NodeInfo) -> None:
        """Any traffic from a node is a sign of life."""
        node.last_seen_ms = now_ms()
        node.gone_at_ms = None
        if node.lost_at_ms is not None:
            log.info("%s %s speaks again after %d ms; its %d sessions carry on", node.role, node.name,
                     node.last_seen_ms - node.lost_at_ms, self.sessions_of(node.name))
            node.lost_at_ms = None

    def on_life(self, name: str, items: list) -> None:
        """A beat of a node's lifeline thread (identity ``<name>!life``)."""
        node = self.nodes.get(name)
        for item in items:
            if node is not None and item == [wire.LIFE, node.incarnation]:
                self.heard(node)

    def on_heartbeat(self, node, stats=None) -> None:
        if isinstance(stats, dict):
            node.stats = stats

    def on_bye(self, node) -> None:
        log.info("%s %s is leaving", node.role, node.name)
        self.forget_node(node)

    def sessions_of(self, edge: str) -> int:
        return sum(1 for session in self.sessions.values() if session.edge == edge)

    # --- returning nodes ---------------------------------------------------------------------------
    def adopt_sessions(self, edge: str, sessions) -> None:
        """An edge's live connections: after a broker restart, rebuild the table from them; otherwise
        keep what the broker has, close what it ended meanwhile, and end what the edge no longer has."""
        announced = set()
        for entry in sessions if isinstance(sessions, list) else ():
            if not SESSION_ROW(entry):
                continue
            conn, pid, account_id, char_key, map_id = entry
            key = (edge, conn)
            announced.add(key)
            if key in self.sessions:
                continue
            if pid is not None and not self.recovering:
                # The broker ended this session while the edge was lost: the player was saved and
                # taken off his map. Close the socket so the client logs in again.
                self.send(edge, [wire.CLOSE, conn])
                continue
            session = Session(edge, conn, pid, account_id, char_key, self.claimed_places.pop(pid, map_id))
            self.sessions[key] = session
            if pid in self.descriptions:
                self.describe(session, self.descriptions.pop(pid))
            if pid is not None:
                self.by_pid[pid] = session
                if session.map_id is not None:
                    self.route(session.map_id).players.add(pid)
        for key in [key for key, session in self.sessions.items() if session.edge == edge and key not in announced]:
            self.end_session(self.sessions[key])  # closed while the broker did not hear about it

    def adopt_maps(self, worker: str, maps) -> None:
        """A worker's claims: kept where the broker agrees (same owner, same epoch) or, after a broker
        restart, where no newer claim exists; every other claim is refused. ``LEASES`` tells the worker
        exactly what it holds, so broker, worker and storage agree on one owner and epoch per map."""
        held = []
        for entry in maps if isinstance(maps, list) else ():
            if not MAP_ROW(entry):
                continue
            map_id, epoch, players = entry
            route = self.route(map_id)
            self.last_epoch = max(self.last_epoch, epoch)
            if route.owner == worker and route.epoch == epoch:
                held.append([map_id, epoch])
            elif self.recovering and not (route.owner is not None and route.epoch >= epoch):
                if route.owner is not None:
                    self.send(route.owner, [wire.REVOKE, map_id])
                route.owner, route.epoch = worker, epoch
                held.append([map_id, epoch])
                log.info("map %s stays with %s (epoch %s)", map_id, worker, epoch)
            else:
                log.info("map %s: %s still held epoch %s, but the lease is %s; it drops the map", map_id,
                         worker, epoch, f"with {route.owner} (epoch {route.epoch})" if route.owner else "gone")
                if route.owner is None and route.has_work():
                    self.grant(route)
                continue
            for pid, description in players:
                description = {key: description.get(key) for key in DESCRIPTION_KEYS}
                session = self.by_pid.get(pid)
                if session is None:
                    self.descriptions[pid] = description
                    self.claimed_places[pid] = map_id
                else:
                    self.describe(session, description)
                    if session.map_id != map_id:
                        self.place(session, map_id)
        self.send(worker, [wire.LEASES, held])

    def adopt_quarantines(self, quarantined) -> None:
        """Storage's durable list of quarantined scripts (for the status view, after a broker restart)."""
        for entry in quarantined if isinstance(quarantined, list) else ():
            if QUARANTINE_ROW(entry):
                script, function, reason, at_ms = entry
                self.quarantined.setdefault(script, {"script": script, "function": function, "reason": reason,
                                                     "at_ms": at_ms})

    # --- silence ------------------------------------------------------------------------------------
    def judge_silence(self, now: int, stalled_ms: int) -> None:
        """Declare nodes dead (or edges lost) by their silence; time the broker itself was stalled
        does not count against anyone."""
        if stalled_ms:
            for node in self.nodes.values():
                node.last_seen_ms += stalled_ms
                if node.lost_at_ms is not None:
                    node.lost_at_ms += stalled_ms
        dead_after = self.config.dead_after_ms
        for node in list(self.nodes.values()):
            silent = now - node.last_seen_ms
            if node.gone_at_ms is not None and silent > self.config.heartbeat.interval_ms:
                log.warning("%s %s silent for %d ms and its connection is gone: dead", node.role, node.name, silent)
                self.presumed_dead[node.name] = node.incarnation
                self.forget_node(node)
            elif node.role == wire.ROLE_MAP:
                if silent > min(dead_after, self.config.lease.duration_ms):
                    log.warning("map worker %s silent for %d ms: presumed dead, its maps move", node.name, silent)
                    self.presumed_dead[node.name] = node.incarnation
                    self.forget_node(node)
            elif node.role == wire.ROLE_EDGE:
                if node.lost_at_ms is None and silent > dead_after:
                    node.lost_at_ms = now
                    log.warning("edge %s silent for %d ms: holding its %d sessions for up to %d ms", node.name,
                                silent, self.sessions_of(node.name), self.config.broker.edge_grace_ms)
                elif node.lost_at_ms is not None and now - node.lost_at_ms > self.config.broker.edge_grace_ms:
                    log.warning("edge %s silent for %d ms: presumed dead, its sessions end", node.name, silent)
                    self.presumed_dead[node.name] = node.incarnation
                    self.forget_node(node)
            elif silent > dead_after and not node.silence_reported:
                node.silence_reported = True
                log.warning("%s %s silent for %d ms; what is sent to it waits", node.role, node.name, silent)
            elif silent <= dead_after:
                node.silence_reported = False
