"""The DEALER side of a node's socket loop, shared by storage and map workers.

``NodeSocket`` owns the DEALER connected to the broker and the node's
``BrokerLink``: it polls (with any extra file descriptors), drains what
arrived into commands, and sends the turn's batch as one frame. It also
turns SIGTERM / SIGINT into a ``stopping`` flag the loop checks.
"""
from __future__ import annotations

import logging
import signal

import zmq

from cluster.link import BrokerLink, now_ms

log = logging.getLogger(__name__)

MAX_FRAMES_PER_TURN = 1000
HWM = 100_000


def dealer_socket(context: zmq.Context, name: str, linger_ms: int) -> zmq.Socket:
    """A DEALER with the node's name as its identity, so the broker knows it across reconnects."""
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, name.encode())
    dealer.setsockopt(zmq.LINGER, linger_ms)
    dealer.setsockopt(zmq.SNDHWM, HWM)
    dealer.setsockopt(zmq.RCVHWM, HWM)
    return dealer


class NodeSocket:
    """Poll, receive and send for a synchronous node."""

    def __init__(self, link: BrokerLink, endpoint: str, extra_fds: tuple[int, ...] = ()) -> None:
        self.link = link
        self.dealer = dealer_socket(zmq.Context.instance(), link.name, linger_ms=2000)
        self.dealer.connect(endpoint)
        self.poller = zmq.Poller()
        self.poller.register(self.dealer, zmq.POLLIN)
        for fd in extra_fds:
            self.poller.register(fd, zmq.POLLIN)
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, *_args) -> None:
        self.stopping = True

    def wait(self, deadline_ms: int, max_wait_ms: int = 100) -> list[list]:
        """Heartbeat if due, wait for traffic until the deadline, return the commands received."""
        now = now_ms()
        self.link.tick(now)
        self.poller.poll(max(0, min(deadline_ms - now, self.link.next_deadline_ms() - now, max_wait_ms)))
        commands: list[list] = []
        for _ in range(MAX_FRAMES_PER_TURN):
            try:
                frame = self.dealer.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            try:
                commands.extend(self.link.on_frame(frame))
            except ValueError as error:
                log.warning("bad frame from the broker: %s", error)
        return commands

    def send(self) -> None:
        frame = self.link.take_frame()
        if frame is None:
            return
        try:
            self.dealer.send(frame, zmq.NOBLOCK)
        except zmq.Again:
            log.warning("broker queue full; dropped a batch")

    def close(self) -> None:
        self.send()
        self.dealer.close()
