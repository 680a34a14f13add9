"""The broker's view of the cluster, for `odyssey status` and the edges' /status and /metrics."""
from __future__ import annotations

import os
import socket

from cluster.counters import process_sample
from cluster.link import now_ms


def cluster_view(broker) -> dict:
    """Nodes (with the counters of their last heartbeat), leases, sessions, queues and failovers."""
    now = now_ms()
    queues = queue_depths(broker)
    players_in_game = sum(1 for s in broker.by_pid.values() if s.map_id is not None)
    broker_stats = {**broker.counters.to_wire(), "sessions": len(broker.sessions), "queues": queues,
                    "players_in_game": players_in_game, **process_sample()}
    nodes = [{"role": "broker", "name": broker.name, "host": socket.gethostname(), "pid": os.getpid(),
              "heartbeat_age_s": 0.0, "stats": broker_stats}]
    nodes += [{"role": n.role, "name": n.name, "host": n.host, "pid": n.pid,
               "heartbeat_age_s": round((now - n.last_seen_ms) / 1000, 2), "stats": n.stats}
              for n in sorted(broker.nodes.values(), key=lambda n: (n.role, n.name))]
    return {"nodes": nodes, "leases": leases(broker, now), "sessions": len(broker.sessions),
            "players_in_game": players_in_game, "recovering": broker.recovering,
            "failovers": broker.counters.failovers,
            "recent_failovers": [dict(record) for record in reversed(broker.counters.recent_failovers)],
            "packets_in": broker.counters.packets_routed, "queues": queues, "now_ms": now,
            "quarantined_scripts": sorted(broker.quarantined.values(), key=lambda q: q["script"])}


def leases(broker, now: int) -> list[dict]:
    """The leased maps: owner, epoch, expiry, players, next poke, queues, checkpoint age."""
    rows = []
    for route in sorted(broker.routes.values(), key=lambda r: r.map_id):
        owner = broker.nodes.get(route.owner) if route.owner else None
        if owner is None:
            continue
        expires = owner.last_seen_ms + broker.config.lease.duration_ms - now
        # As of the worker's last heartbeat: ms since the map's state on disk was last brought up to date.
        checkpoint_ages = owner.stats.get("checkpoint_age_ms")
        checkpoint_age = checkpoint_ages.get(route.map_id) if isinstance(checkpoint_ages, dict) else None
        rows.append({"map_id": route.map_id, "worker": route.owner, "epoch": route.epoch,
                     "expires_in_ms": expires, "players": len(route.players),
                     "next_poke_in_ms": None if route.poke_at_ms is None else route.poke_at_ms - now,
                     "unacked": len(route.unacked), "waiting": len(route.waiting),
                     "checkpoint_age_ms": checkpoint_age})
    return rows


def queue_depths(broker) -> dict:
    """Commands the broker holds: sent to a map's owner and not yet confirmed, waiting for a
    lease, and waiting for a storage node."""
    return {"map_unacked": sum(len(r.unacked) for r in broker.routes.values()),
            "map_waiting": sum(len(r.waiting) for r in broker.routes.values()),
            "storage_waiting": len(broker.storage_waiting)}
