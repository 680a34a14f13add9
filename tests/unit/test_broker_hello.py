"""A HELLO registers a node under the name, incarnation and role it may have (issue 12).

Found by the fuzz test (tests/fault/test_fault_fuzz.py): a registered edge could send a second
HELLO naming any role and any name, and the broker registered it (with the edge's identity) as
that node: an edge's key could take the place of storage. Now a registered node's HELLO only
re-announces itself; a HELLO in any other role or name is refused and logged.
"""
from __future__ import annotations

from brokertools import hello, identity

from broker.node import Broker
from cluster import wire
from cluster.config import Config


def registered() -> Broker:
    broker = Broker(Config())
    hello(broker, wire.ROLE_STORAGE, "storage")
    hello(broker, wire.ROLE_EDGE, "edge-1")
    return broker


def roles(broker: Broker) -> dict[str, tuple[str, bytes]]:
    return {name: (node.role, node.identity) for name, node in broker.nodes.items()}


def test_a_registered_edge_cannot_announce_itself_as_storage_or_as_another_node():
    broker = registered()
    before = roles(broker)
    for role, name, incarnation in [("storage", "storage", "evil"), ("storage", "edge-1", "edge-1-1"),
                                    ("edge", "storage", "evil"), ("edge", "edge-2", "edge-1-1"),
                                    ("map", "WHO", "x"), ("edge-1", "broker", "edge-1-1")]:
        command = [wire.HELLO, role, name, "host", 3, incarnation, {}]
        broker.handle_frame(identity("edge-1"), wire.pack([command]))
    assert roles(broker) == before


def test_a_registered_node_re_announces_itself():
    broker = registered()
    hello(broker, wire.ROLE_EDGE, "edge-1", {"sessions": [[7, None, None, None, None]]})
    assert roles(broker)["edge-1"] == (wire.ROLE_EDGE, identity("edge-1"))
    assert ("edge-1", 7) in broker.sessions


def test_a_hello_must_name_a_role():
    broker = Broker(Config())
    hello(broker, "edge-1", "edge-1")
    assert broker.nodes == {}


def test_a_lifeline_beat_on_a_nodes_own_socket_is_no_failure():
    """Found by the fuzz test: LIFE fits the schema from any node, but only the lifeline's socket
    had a handler for it; on the node's own socket it failed with a KeyError."""
    broker = registered()
    complaints = []
    broker.complain = lambda kind, *args, **kwargs: complaints.append(kind)
    broker.handle_frame(identity("edge-1"), wire.pack([[wire.LIFE, "edge-1-1"]]))
    assert complaints == []
