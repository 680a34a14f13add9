"""The broker's view of the cluster, for `odyssey status`."""
from __future__ import annotations

import os
import socket

from cluster.link import now_ms


def cluster_view(broker) -> dict:
    """Nodes, leases and sessions as `odyssey status` shows them."""
    now = now_ms()
    nodes = [{"role": "broker", "name": broker.name, "host": socket.gethostname(), "pid": os.getpid(),
              "heartbeat_age_s": 0.0}]
    nodes += [{"role": n.role, "name": n.name, "host": n.host, "pid": n.pid,
               "heartbeat_age_s": round((now - n.last_seen_ms) / 1000, 2), "stats": n.stats}
              for n in sorted(broker.nodes.values(), key=lambda n: (n.role, n.name))]
    leases = []
    for route in sorted(broker.routes.values(), key=lambda r: r.map_id):
        owner = broker.nodes.get(route.owner) if route.owner else None
        if owner is None:
            continue
        expires = owner.last_seen_ms + broker.config.lease.duration_ms - now
        leases.append({"map_id": route.map_id, "worker": route.owner, "epoch": route.epoch,
                       "expires_in_ms": expires, "players": len(route.players),
                       "next_poke_in_ms": None if route.poke_at_ms is None else route.poke_at_ms - now})
    return {"nodes": nodes, "leases": leases, "sessions": len(broker.sessions),
            "players_in_game": sum(1 for s in broker.by_pid.values() if s.map_id is not None),
            "recovering": broker.recovering, "failovers": broker.stats["failovers"],
            "packets_in": broker.stats["packets_in"]}
