"""A node's side of the broker connection: registration and heartbeats.

``BrokerLink`` is sans-I/O: the node's loop hands it received frames and
asks it for the frame to send; it keeps the batch of outgoing commands,
sends HELLO (with the node's current state, so a restarted broker can
rebuild its tables), heartbeats every interval (carrying the node's
counters and its process's CPU time and memory), answers the broker's WHO,
and tells the node when the broker has gone silent. Every command from the
broker is checked against the node's table in ``cluster.wire`` here, once;
what does not fit is dropped and logged (rate-limited).
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any, Callable

from cluster import wire
from cluster.counters import process_sample
from cluster.logs import RateLimitedLog

log = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)



class BrokerLink:
    """Registration, heartbeats and batching toward the broker."""

    def __init__(self, role: str, name: str, interval_ms: int, liveness: int,
                 announce: Callable[[], dict[str, Any]],
                 stats: Callable[[], dict[str, Any]] | None = None,
                 on_hello: Callable[[], None] | None = None) -> None:
        self.role = role
        self.name = name
        self.interval_ms = interval_ms
        self.dead_after_ms = interval_ms * liveness
        self.announce = announce
        self.stats = stats
        self.on_hello = on_hello  # told each time the node (re-)announces itself
        self.schema = wire.SCHEMAS[role]
        self.complain = RateLimitedLog(log)
        self.note = RateLimitedLog(log, level=logging.INFO)  # events a peer may repeat at will
        self.incarnation = uuid.uuid4().hex[:12]
        # The ZeroMQ identity: the name plus this process's incarnation, which only the broker learns
        # (in the encrypted HELLO), so no other peer can take this node's place in the broker's routing.
        self.identity = f"{name}#{self.incarnation}".encode()
        self.pending: list[list] = []
        self.last_heard_ms = now_ms()
        self.next_heartbeat_ms = 0
        self.broker_alive = False
        self.registered_once = False
        self.lost_once = False
        self.leaving = False
        self.unencodable = 0  # values repaired or commands dropped because they could not be encoded

    def queue(self, command: list) -> None:
        self.pending.append(command)

    def hello(self) -> None:
        if self.on_hello is not None:
            self.on_hello()
        state = self.announce()
        self.queue([wire.HELLO, self.role, self.name, socket.gethostname(), os.getpid(),
                    self.incarnation, state])

    def on_frame(self, frame: bytes) -> list[list]:
        """Commands in a frame from the broker, minus the link's own (HB, WHO)."""
        self.last_heard_ms = now_ms()
        if not self.broker_alive:
            self.broker_alive = True
            if self.lost_once:
                log.info("%s: the broker answers again", self.name)
        for_node = []
        for command in wire.unpack(frame):
            problem = self.schema.check(command, wire.ROLE_BROKER)
            if problem is not None:
                self.complain(self.schema.kind_of(command), "%s: dropped a command from the broker: %s",
                              self.name, problem)
                continue
            token = command[0]
            if token == wire.HB:
                continue
            if token == wire.WHO:
                if self.leaving:
                    continue
                self.note("who", "%s: broker does not know us; registering again", self.name)
                self.hello()
                continue
            for_node.append(command)
        return for_node

    def bye(self) -> None:
        """Say goodbye; from now on no heartbeat and no re-registration."""
        self.leaving = True
        self.queue([wire.BYE])

    def tick(self, now: int) -> None:
        """Heartbeat when due; notice a silent broker."""
        if self.leaving:
            return
        if not self.registered_once:
            self.registered_once = True
            self.hello()
        if now >= self.next_heartbeat_ms:
            self.queue([wire.HB, self.heartbeat_stats()])
            self.next_heartbeat_ms = now + self.interval_ms
        if self.broker_alive and now - self.last_heard_ms > self.dead_after_ms:
            self.broker_alive = False
            self.lost_once = True
            log.warning("%s: no word from the broker for %d ms; waiting for it", self.name,
                        now - self.last_heard_ms)

    def heartbeat_stats(self) -> dict:
        """The node's counters plus its process's CPU time and memory."""
        stats = self.stats() if self.stats else {}
        stats.update(process_sample())
        stats["unencodable"] = self.unencodable
        return stats

    def take_frame(self) -> bytes | None:
        """The batch as one frame (see ``wire.pack_repairing`` for a command that cannot be encoded)."""
        if not self.pending:
            return None
        commands, self.pending = self.pending, []
        try:
            return wire.pack(commands)
        except wire.PACK_ERRORS:
            frame, problems = wire.pack_repairing(commands)
            self.unencodable += len(problems)
            for where in problems:
                self.complain(f"unencodable {where.split(':')[0]}", "%s: %s", self.name, where)
            return frame

    def next_deadline_ms(self) -> int:
        return self.next_heartbeat_ms
