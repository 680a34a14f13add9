"""The broker's tables: nodes, sessions, map routes (leases and queues), pokes and counters.

Plain data with small methods; the socket loop in ``broker.node`` drives them.
"""
from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

from cluster.counters import Histogram

RECENT_FAILOVERS = 20  # how many failovers the status view lists


@dataclass(slots=True)
class NodeInfo:
    """A registered node, as the broker sees it."""
    identity: bytes
    role: str
    name: str
    host: str
    pid: int
    incarnation: str
    last_seen_ms: int
    registered_ms: int
    stats: dict = field(default_factory=dict)  # counters the node sends with its heartbeats
    lost_at_ms: int | None = None  # an edge silent past its heartbeats, since then (its players wait)
    silence_reported: bool = False
    gone_at_ms: int | None = None  # a send to it failed: no connection from it any more


@dataclass(slots=True)
class Session:
    """One websocket connection and, once logged in, its player."""
    edge: str
    conn: int
    pid: int | None = None
    account_id: int | None = None
    char_key: list | None = None  # [account_id, slot] of the character in play
    map_id: int | None = None  # None: not in game
    name: str = ""  # the character's, for look-ups by name (whisper, /who, /warpto)
    level: int = 1
    profession_id: int = 0
    ignore: frozenset = frozenset()  # lower-cased names this account does not hear whispers from


@dataclass(slots=True)
class MapRoute:
    """Where a map's traffic goes: its lease, its sequence and its queues.

    ``unacked`` holds what was sent to the owner and not yet confirmed by a
    DONE; it is sent again to the next owner if this one dies. ``waiting``
    holds what arrived while the map had no owner.
    """
    map_id: int
    owner: str | None = None
    epoch: int = 0
    granted_ms: int = 0
    next_seq: int = 1
    unacked: deque = field(default_factory=deque)
    waiting: deque = field(default_factory=deque)
    players: set = field(default_factory=set)
    poke_at_ms: int | None = None
    last_poke_ms: int = 0
    deaths: dict = field(default_factory=dict)  # seq → how many owners died with it unconfirmed

    def has_work(self) -> bool:
        return bool(self.players or self.unacked or self.waiting)

    def ack(self, seq: int) -> None:
        unacked = self.unacked
        while unacked and unacked[0][2] <= seq:
            confirmed = unacked.popleft()
            if self.deaths:
                self.deaths.pop(confirmed[2], None)

    def pending_joiners(self) -> set:
        """Players whose JOIN is still queued or unconfirmed."""
        return {command[3] for command in (*self.unacked, *self.waiting) if command[0] == "JOIN"}


class PokeTimers:
    """A heap of (poke_at_ms, map_id); stale entries are skipped when popped."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int]] = []

    def schedule(self, route: MapRoute, at_ms: int, min_spacing_ms: int) -> None:
        at_ms = max(at_ms, route.last_poke_ms + min_spacing_ms)
        if route.poke_at_ms is not None and route.poke_at_ms <= at_ms:
            return  # the earlier poke stands (the original kept the latest: PROTOCOL 7.4)
        route.poke_at_ms = at_ms
        heapq.heappush(self.heap, (at_ms, route.map_id))

    def due(self, now_ms: int, routes: dict[int, MapRoute]) -> list[MapRoute]:
        ready = []
        heap = self.heap
        while heap and heap[0][0] <= now_ms:
            at_ms, map_id = heapq.heappop(heap)
            route = routes.get(map_id)
            if route is not None and route.poke_at_ms == at_ms:
                route.poke_at_ms = None
                route.last_poke_ms = now_ms
                ready.append(route)
        return ready

    def next_ms(self) -> int | None:
        return self.heap[0][0] if self.heap else None


@dataclass(slots=True)
class BrokerCounters:
    """What the broker counts for ``/status`` and ``/metrics`` (see README: Status and metrics).

    A failover is a map whose worker died with work on it; it is listed in
    ``recent_failovers`` at once and gets its new worker when one is granted.
    """
    packets_routed: int = 0  # IN commands: client packets routed to storage or a map worker
    bytes_in: int = 0  # ZeroMQ frames received from nodes
    bytes_out: int = 0
    lease_grants: int = 0
    lease_releases: int = 0
    lease_expiries: int = 0  # leases that ended without a release: their worker died or restarted
    failovers: int = 0  # of those, maps with players or queued work, granted again
    quarantines: int = 0  # scripts disabled on every worker
    routing: Histogram = field(default_factory=Histogram)  # a frame with client packets: in → sent
    recent_failovers: deque = field(default_factory=lambda: deque(maxlen=RECENT_FAILOVERS))
    orphaned: dict = field(default_factory=dict)  # map_id → its failover record, until granted again

    def lease_lost(self, map_id: int, worker: str, has_work: bool, at_ms: int) -> None:
        self.lease_expiries += 1
        if has_work:
            self.failovers += 1
            record = {"map_id": map_id, "from": worker, "to": None, "at_ms": at_ms, "granted_after_ms": None}
            self.recent_failovers.append(record)
            self.orphaned[map_id] = record

    def lease_granted(self, map_id: int, worker: str, at_ms: int) -> None:
        self.lease_grants += 1
        record = self.orphaned.pop(map_id, None)
        if record is not None:
            record["to"], record["granted_after_ms"] = worker, at_ms - record["at_ms"]

    def to_wire(self) -> dict:
        return {"packets_routed": self.packets_routed, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
                "lease_grants": self.lease_grants, "lease_releases": self.lease_releases,
                "lease_expiries": self.lease_expiries, "failovers": self.failovers,
                "script_quarantines": self.quarantines,
                "routing_seconds": self.routing.to_wire()}
