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


# --- a map worker speaks only for the maps it holds ---------------------------------------------------
def with_a_lease() -> tuple[Broker, int]:
    """storage, map-1 holding map 0 at some epoch, and map-2 holding nothing."""
    broker = registered()
    hello(broker, wire.ROLE_MAP, "map-1")
    broker.recovering = False
    route = broker.route(0)
    broker.grant(route)
    hello(broker, wire.ROLE_MAP, "map-2")
    broker.outbox.drain()
    return broker, route.epoch


def to_storage(broker: Broker) -> list:
    return [c for peer, frame in broker.outbox.drain() if peer == identity("storage") for c in wire.unpack(frame)]


def test_a_worker_cannot_load_or_save_a_map_it_does_not_hold():
    """Found by the fuzz test's reasoning: a map worker's LOAD_MAP at a huge epoch raised storage's
    fence so far that no later owner's checkpoint was ever accepted again."""
    broker, epoch = with_a_lease()
    for command in ([wire.LOAD_MAP, 0, 2**62, []], [wire.LOAD_MAP, 0, epoch, []],
                    [wire.CKPT, 0, epoch, None, []], [wire.CKPT, 0, 2**62, None, []],
                    [wire.SAVE_PLAYER, 1, [1, 0], 0, epoch + 1, {}, True]):
        broker.handle_frame(identity("map-2"), wire.pack([command]))
    assert to_storage(broker) == []
    broker.handle_frame(identity("map-1"), wire.pack([[wire.CKPT, 0, epoch, None, []]]))
    assert to_storage(broker) == [[wire.CKPT, "map-1", 0, epoch, None, []]]


def test_an_older_epochs_save_goes_on_for_storage_to_fence():
    broker, epoch = with_a_lease()
    broker.handle_frame(identity("map-2"), wire.pack([[wire.SAVE_PLAYER, 1, [1, 0], 0, epoch - 1, {}, True]]))
    assert to_storage(broker) == [[wire.SAVE_PLAYER, "map-2", 1, [1, 0], 0, epoch - 1, {}, True]]


def test_a_worker_cannot_move_or_close_a_player_on_another_workers_map():
    broker, epoch = with_a_lease()
    broker.handle_frame(identity("edge-1"), wire.pack([[wire.IN, 5, 1, b"{}"]]))
    session = broker.sessions[("edge-1", 5)]
    broker.on_bind(None, "edge-1", 5, 77, 1)
    broker.place(session, 0)
    broker.outbox.drain()
    broker.handle_frame(identity("map-2"), wire.pack([[wire.TRANSFER, 0, 77, 3, {"name": "Ann"}],
                                                      [wire.CLOSE_PID, 77]]))
    assert session.map_id == 0
    assert all(wire.CLOSE not in [c[0] for c in wire.unpack(frame)] for _peer, frame in broker.outbox.drain())
    broker.handle_frame(identity("map-1"), wire.pack([[wire.TRANSFER, 0, 77, 3, {"name": "Ann"}]]))
    assert session.map_id == 3
