"""The cluster's ZeroMQ sockets, made in one place: the broker's ROUTER and every DEALER.

Every node, the lifeline threads and the one-off operator tools (``odyssey
status``, ``odyssey admin``) get their sockets here, so the options that
matter everywhere (identity, queue limits, linger) are set once.
"""
from __future__ import annotations

import os
import uuid

import zmq

from cluster.config import Config

MAX_MESSAGE_BYTES = 64 << 20
HWM = 100_000  # frames queued per peer before sends fail (a batch per loop turn, so many seconds' worth)


def node_dealer(config: Config, identity: bytes, linger_ms: int = 2000,
                context: zmq.Context | None = None) -> zmq.Socket:
    """A DEALER to the broker with a fixed identity (a node's name, so the broker knows it across reconnects)."""
    dealer = (context or zmq.Context.instance()).socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, identity)
    dealer.setsockopt(zmq.LINGER, linger_ms)
    dealer.setsockopt(zmq.SNDHWM, HWM)
    dealer.setsockopt(zmq.RCVHWM, HWM)
    dealer.connect(config.broker_endpoint)
    return dealer


def client_dealer(config: Config, endpoint: str, prefix: str) -> zmq.Socket:
    """A DEALER for one request and its answer (``odyssey status``, ``odyssey admin``)."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, f"{prefix}-{uuid.uuid4().hex[:8]}".encode())
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    return dealer


def broker_router(config: Config) -> zmq.Socket:
    """The broker's ROUTER, bound where ``broker.bind`` says."""
    router = zmq.Context.instance().socket(zmq.ROUTER)
    # A restarted node reconnects under its old identity before the old connection is gone.
    router.setsockopt(zmq.ROUTER_HANDOVER, 1)
    # A send to a peer whose connection is gone fails (EHOSTUNREACH) instead of vanishing: that is
    # how the broker tells a dead node (its process gone, its sockets closed) from a stalled one.
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.setsockopt(zmq.LINGER, 0)
    router.setsockopt(zmq.SNDHWM, HWM)
    router.setsockopt(zmq.RCVHWM, HWM)
    router.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)  # a peer sending more is disconnected
    router.bind(config.broker_bind)
    if config.broker_bind.startswith("ipc://"):
        os.chmod(config.broker_bind[len("ipc://"):], 0o600)  # only the data directory's owner connects
    return router
