"""A raw ZeroMQ peer for the tests that talk to the broker (or to a node) as a stranger would:
a DEALER with any identity and, optionally, any CurveZMQ key pair; one request and its reply."""
from __future__ import annotations

import zmq

from cluster import wire


def raw_dealer(endpoint: str, identity: bytes, keys: tuple[bytes, bytes] | None = None,
               server_key: bytes | None = None) -> zmq.Socket:
    """A DEALER connected to ``endpoint``; with ``keys`` (public, secret) it speaks CurveZMQ to ``server_key``."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, identity)
    dealer.setsockopt(zmq.LINGER, 0)
    if keys is not None:
        dealer.curve_publickey, dealer.curve_secretkey = keys
        dealer.curve_serverkey = server_key
    dealer.connect(endpoint)
    return dealer


def send(dealer: zmq.Socket, commands: list) -> bool:
    """Send one frame without waiting; False if no connection took it (e.g. the handshake was refused)."""
    try:
        dealer.send(wire.pack(commands), zmq.NOBLOCK)
    except zmq.Again:
        return False
    return True


def request_reply(dealer: zmq.Socket, commands: list, timeout_ms: int = 1500) -> list | None:
    """Send one frame of commands; the first frame that comes back, decoded, or None."""
    deadline_polls = max(1, timeout_ms // 50)
    for _ in range(deadline_polls):  # the connection (and its handshake) may take a moment
        if send(dealer, commands):
            break
        dealer.poll(50)
    else:
        return None
    if not dealer.poll(timeout_ms):
        return None
    return wire.unpack(dealer.recv())
