"""The DEALER side of a node's socket loop, shared by storage and map workers.

``NodeSocket`` owns the DEALER connected to the broker, the node's
``BrokerLink`` and its ``Lifeline`` (heartbeats from a thread of their own,
and the watchdog on this loop): it polls (with any extra file descriptors),
drains what arrived into commands, and sends the turn's batch as one frame.
It also turns SIGTERM / SIGINT / SIGHUP into a ``stopping`` flag the loop checks.
"""
from __future__ import annotations

import logging
import signal
import time

import zmq

from cluster import fabric
from cluster.config import Config
from cluster.lifeline import Lifeline, life_identity
from cluster.link import BrokerLink, now_ms

log = logging.getLogger(__name__)

MAX_FRAMES_PER_TURN = 1000


def start_lifeline(config: Config, link: BrokerLink, context: zmq.Context | None = None) -> Lifeline:
    """The node's lifeline thread, beating on a DEALER of its own (see ``cluster.lifeline``)."""
    return Lifeline(link.name, link.incarnation, config.heartbeat.interval_ms, config.heartbeat.watchdog_ms,
                    freeze_ms=config.lease.duration_ms // 2,
                    socket_factory=lambda: fabric.node_dealer(config, life_identity(link.name), 0, context)).start()


def pace(woke_at: float, turn_s: float) -> None:
    """A busy loop's turns start at least ``turn_s`` apart (``cluster.turn_ms``), counted from
    the last time its poll woke: what arrives meanwhile is handled, and answered, in one batch.
    An idle loop is not delayed: its poll wakes at once when a frame comes."""
    wait = woke_at + turn_s - time.perf_counter()
    if wait > 0:
        time.sleep(wait)


class NodeSocket:
    """Poll, receive and send for a synchronous node."""

    def __init__(self, config: Config, link: BrokerLink, extra_fds: tuple[int, ...] = ()) -> None:
        self.link = link
        self.dealer = fabric.node_dealer(config, link.identity, linger_ms=2000)
        self.poller = zmq.Poller()
        self.poller.register(self.dealer, zmq.POLLIN)
        for fd in extra_fds:
            self.poller.register(fd, zmq.POLLIN)
        self.stopping = False
        self.turn_s = config.cluster.turn_ms / 1000
        self.woke_at = 0.0
        self.lifeline = start_lifeline(config, link)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._stop)

    def _stop(self, *_args) -> None:
        self.stopping = True
        self.lifeline.stopping()

    def wait(self, deadline_ms: int, max_wait_ms: int = 100) -> list[list]:
        """Heartbeat if due, wait for traffic until the deadline, return the commands received."""
        self.lifeline.turn()
        pace(self.woke_at, self.turn_s)
        now = now_ms()
        self.link.tick(now)
        self.lifeline.doing = "waiting for the broker"
        self.poller.poll(max(0, min(deadline_ms - now, self.link.next_deadline_ms() - now, max_wait_ms)))
        self.woke_at = time.perf_counter()
        commands: list[list] = []
        for _ in range(MAX_FRAMES_PER_TURN):
            try:
                frame = self.dealer.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            try:
                commands.extend(self.link.on_frame(frame))
            except ValueError as error:
                self.link.complain("bad frame", "bad frame from the broker: %s", error)
        return commands

    def send(self) -> None:
        frame = self.link.take_frame()
        if frame is None:
            return
        try:
            self.dealer.send(frame, zmq.NOBLOCK)
        except zmq.Again:
            self.link.complain("queue full", "broker queue full; dropped a batch")

    def close(self) -> None:
        self.send()
        self.dealer.close()
        self.lifeline.close()
