"""Driving a real ``broker.node.Broker`` object with frames, as its nodes would (no socket)."""
from __future__ import annotations

from broker.node import Broker
from cluster import wire
from cluster.link import BrokerLink


def identity(name: str) -> bytes:
    return f"{name}#{name}-1".encode()  # a node's ZeroMQ identity: its name and incarnation


def hello(broker: Broker, role: str, name: str, state: dict | None = None) -> None:
    command = [wire.HELLO, role, name, "host-a", 4242, f"{name}-1", state or {}]
    broker.handle_frame(identity(name), wire.pack([command]))


def heartbeat(broker: Broker, name: str, stats: dict) -> None:
    """An HB as the node's link sends it: its counters plus its process sample."""
    link = BrokerLink(broker.nodes[name].role, name, 1000, 3, dict, lambda: dict(stats))
    broker.handle_frame(identity(name), wire.pack([[wire.HB, link.heartbeat_stats()]]))


def broker_view(broker: Broker, asker: str = "edge-1") -> dict:
    """The cluster view the broker answers a node's STATUS with, as it travels."""
    broker.handle_frame(identity(asker), wire.pack([[wire.STATUS]]))
    reply = next(c for c in reversed(broker.outbox.by_peer[identity(asker)]) if c[0] == wire.STATUS_REPLY)
    return wire.unpack(wire.pack([reply]))[0][1]
