"""Map leases: which worker owns which map, the order of its commands, its pokes.

A mixin of ``broker.node.Broker``; it uses the broker's ``routes``, ``nodes``,
``timers``, ``config``, ``recovering``, ``last_epoch``, ``counters`` and ``send``.
"""
from __future__ import annotations

import logging

from broker.tables import MapRoute
from cluster import wire
from cluster.link import now_ms

log = logging.getLogger("broker.node")


class Leases:
    """Granting, moving and releasing map leases, and sending map commands in order."""

    def route(self, map_id: int) -> MapRoute:
        route = self.routes.get(map_id)
        if route is None:
            route = self.routes[map_id] = MapRoute(map_id)
        return route

    def dispatch(self, route: MapRoute, kind: str, *args) -> None:
        """Send a command to the map's owner in order, granting a lease if needed."""
        command = [kind, route.map_id, route.next_seq, *args]
        route.next_seq += 1
        if route.owner is None:
            route.waiting.append(command)
            self.grant(route)
        else:
            route.unacked.append(command)
            self.send(route.owner, command)

    def grant(self, route: MapRoute) -> None:
        if self.recovering or route.owner is not None:
            return
        workers = self.live_workers()
        if not workers:
            return
        load = {w.name: 0 for w in workers}
        for other in self.routes.values():
            if other.owner in load:
                load[other.owner] += 1 + len(other.players)
        worker = min(workers, key=lambda w: (load[w.name], w.name))
        self.last_epoch += 1
        route.owner, route.epoch, route.granted_ms = worker.name, self.last_epoch, now_ms()
        self.counters.lease_granted(route.map_id, worker.name, route.granted_ms)
        rejoin = sorted(route.players - route.pending_joiners())
        log.info("lease: map %s → %s (epoch %s, %d players to re-join)", route.map_id, worker.name,
                 route.epoch, len(rejoin))
        self.send(worker.name, [wire.GRANT, route.map_id, route.epoch, rejoin])
        route.unacked.extend(route.waiting)
        route.waiting.clear()
        for command in route.unacked:
            self.send(worker.name, command)
        route.poke_at_ms = None

    def on_done(self, node, map_id, seq, wake_at_ms) -> None:
        route = self.routes.get(map_id)
        if route is None or route.owner != node.name:
            return
        route.ack(seq)
        if wake_at_ms is None:
            route.poke_at_ms = None
        else:
            self.timers.schedule(route, wake_at_ms, self.config.broker.poke_min_spacing_ms)

    def on_release(self, node, map_id, epoch) -> None:
        route = self.routes.get(map_id)
        if route is None or route.owner != node.name or route.epoch != epoch:
            return
        route.owner = None
        route.poke_at_ms = None
        self.counters.lease_releases += 1
        log.info("lease: map %s released by %s", map_id, node.name)
        if route.has_work():  # something arrived after the worker decided to let go
            route.waiting.extendleft(reversed(route.unacked))
            route.unacked.clear()
            self.grant(route)
        else:
            del self.routes[map_id]

    def adopt_maps(self, worker: str, maps: list) -> None:
        for map_id, epoch, players in maps:
            route = self.route(map_id)
            self.last_epoch = max(self.last_epoch, epoch)
            if route.owner is not None and route.owner != worker and route.epoch >= epoch:
                self.send(worker, [wire.REVOKE, map_id])
                continue
            if route.owner is not None and route.owner != worker:
                self.send(route.owner, [wire.REVOKE, map_id])
            route.owner, route.epoch = worker, epoch
            for pid, description in players:
                self.descriptions[pid] = description
                session = self.by_pid.get(pid)
                if session is None:
                    self.claimed_places[pid] = map_id
                else:
                    self.describe(session, description)
                    if session.map_id != map_id:
                        self.place(session, map_id)
            log.info("map %s stays with %s (epoch %s)", map_id, worker, epoch)

    def on_reload_world(self, node) -> None:
        """The world changed in storage: every leased map checkpoints, lets go and is loaded again."""
        for route in self.routes.values():
            if route.owner is not None:
                self.send(route.owner, [wire.RELOAD, route.map_id])
