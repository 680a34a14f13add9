"""Map leases: which worker owns which map, the order of its commands, its pokes.

A mixin of ``broker.node.Broker``; it uses the broker's ``routes``, ``nodes``,
``timers``, ``config``, ``recovering``, ``last_epoch``, ``counters`` and ``send``.
Which claims of a returning worker are kept is the registry's (``broker.registry``).
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
        self.survivors(route)
        for command in route.unacked:
            self.send(worker.name, command)
        route.poke_at_ms = None

    def lease_problem(self, node, item: list) -> str | None:
        """Why a worker's command that speaks for a map (``wire.SPEAKS_FOR_MAP``) is refused, or None.

        A transfer or a map load comes only from the map's owner, at its epoch. A save at the current
        epoch comes only from the owner; at an older one (a worker that was presumed dead, a lease
        moved meanwhile) it goes on and storage fences it; at a newer one it cannot be true (it would
        raise no fence, but it would outlive every later owner's saves)."""
        map_index, epoch_index = wire.SPEAKS_FOR_MAP[item[0]]
        map_id = item[1 + map_index]
        epoch = item[1 + epoch_index] if epoch_index is not None else None
        route = self.routes.get(map_id)
        holds = route is not None and route.owner == node.name and (epoch is None or route.epoch == epoch)
        if holds:
            return None
        if item[0] in (wire.CKPT, wire.SAVE_PLAYER):
            # with no owner, any epoch granted so far is an old one
            current = route.epoch if route is not None and route.owner is not None else self.last_epoch + 1
            if epoch < current:
                return None
        return f"{item[0]} for map {map_id} (epoch {epoch}), whose lease {node.name} does not hold"

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

    def on_fenced(self, node, map_id, worker, epoch, fence) -> None:
        """Storage refused a save of ``map_id`` from ``worker`` at ``epoch``: it holds the newer ``fence``.

        If the broker still gives that worker the map at that epoch, the lease is stale (the worker
        came back after the map had moved and been released): take it back and grant it anew, above
        the fence, so the new owner loads what storage has and every later save is accepted.
        """
        self.last_epoch = max(self.last_epoch, fence)
        route = self.routes.get(map_id)
        if route is None or route.owner != worker or route.epoch != epoch:
            return
        log.warning("map %s: storage holds epoch %s, newer than %s's %s; granting the map again",
                    map_id, fence, worker, epoch)
        self.send(worker, [wire.REVOKE, map_id])
        route.owner = None
        route.waiting.extendleft(reversed(route.unacked))
        route.unacked.clear()
        if route.has_work():
            self.grant(route)

    def on_reload_world(self, node) -> None:
        """The world changed in storage: every leased map checkpoints, lets go and is loaded again."""
        for route in self.routes.values():
            if route.owner is not None:
                self.send(route.owner, [wire.RELOAD, route.map_id])
