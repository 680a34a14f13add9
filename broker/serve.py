"""The broker's socket loop: bind the ROUTER, then poll, handle each frame, housekeep, send.

``broker.node.Broker`` holds the state and the handlers; this module owns the I/O: one ROUTER,
at most ``MAX_FRAMES_PER_TURN`` frames a turn, and the turn's outbox as one frame per peer.
"""
from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import zmq

from broker.node import Broker
from cluster import fabric
from cluster.config import Config
from cluster.lifeline import Lifeline
from cluster.link import now_ms
from cluster.lockfile import DataDirInUse, DataDirLock, in_use_message
from cluster.loop import pace

log = logging.getLogger(__name__)

MAX_FRAMES_PER_TURN = 2000
CONFIG_ERROR_EXIT = 2  # the supervisor does not restart a node that exits with this


def run(config: Config, name: str = "broker") -> None:
    """Bind the ROUTER and serve until SIGTERM / SIGINT / SIGHUP."""
    lock = take_ipc_endpoint(config)
    router, authorized = fabric.broker_router(config)
    log.info("broker listening on %s%s", config.broker_bind, " (CurveZMQ)" if authorized else "")
    broker = Broker(config, name, authorized)
    lifeline = Lifeline(name, "", config.heartbeat.interval_ms, config.heartbeat.watchdog_ms).start()
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.append(True))
    poller = zmq.Poller()
    poller.register(router, zmq.POLLIN)
    turn_s, woke_at = config.cluster.turn_ms / 1000, 0.0
    while not stopping:
        lifeline.turn()
        pace(woke_at, turn_s)
        now = now_ms()
        deadline = min(broker.next_heartbeat_ms, broker.timers.next_ms() or now + 100, now + 100)
        lifeline.doing = "waiting"
        ready = poller.poll(max(0, deadline - now))
        woke_at = time.perf_counter()
        routed_at = receive(router, broker, lifeline) if ready else []
        lifeline.doing = "housekeeping"
        broker.housekeeping(now_ms())
        lifeline.doing = "sending"
        send(router, broker)
        if routed_at:
            sent_at = time.perf_counter()
            for received_at in routed_at:
                broker.counters.routing.observe(sent_at - received_at)
    log.info("broker stopping")
    lifeline.close()
    router.close(0)
    if lock is not None:
        lock.release()


def take_ipc_endpoint(config: Config) -> DataDirLock | None:
    """One broker per ipc endpoint in the data directory (binding would silently steal it)."""
    bind = config.broker_bind
    if not bind.startswith("ipc://") or Path(bind[len("ipc://"):]).resolve().parent != config.data_dir.resolve():
        return None
    try:
        return DataDirLock(config.data_dir / "broker.lock").acquire(what=f"the broker at {bind}")
    except DataDirInUse as busy:
        log.error("%s", in_use_message(config.data_dir, busy.holder))
        raise SystemExit(CONFIG_ERROR_EXIT)


def receive(router: zmq.Socket, broker: Broker, lifeline: Lifeline) -> list[float]:
    """Handle what arrived; the arrival times of the frames that carried client packets."""
    routed_at = []
    counters = broker.counters
    broker.behind = True
    curve = broker.authorized is not None
    for _ in range(MAX_FRAMES_PER_TURN):
        try:
            parts = router.recv_multipart(zmq.NOBLOCK, copy=not curve)
        except zmq.Again:
            broker.behind = False
            break
        if len(parts) != 2:
            broker.complain("parts", "dropped a message of %d parts", len(parts))
            continue
        user = None
        if curve:  # the frame's ZAP User-Id: the sender's public key
            user = parts[1].get("User-Id")
            parts = [part.bytes for part in parts]
        identity, frame = parts
        received_at = time.perf_counter()
        counters.bytes_in += len(frame)
        lifeline.doing = ("handling a frame from %r", identity[:40])
        try:
            broker.handle_frame(identity, frame, user)
        except Exception:  # the last net: a frame costs itself, never the broker
            broker.complain("frame failed", "a frame from %r failed", identity[:40], exc_info=True)
        if broker.routed:
            broker.routed = False
            routed_at.append(received_at)
    return routed_at


def send(router: zmq.Socket, broker: Broker) -> None:
    """The turn's outbox: one frame per peer."""
    counters = broker.counters
    for peer, frame in broker.outbox.drain():
        try:
            router.send_multipart([peer, frame], zmq.NOBLOCK)
            counters.bytes_out += len(frame)
        except zmq.ZMQError as error:
            if error.errno == zmq.EHOSTUNREACH:
                broker.unreachable(peer)  # no connection from that peer any more
            else:
                broker.complain(f"send {peer[:40]!r}", "could not send to %r: %s", peer[:40], error)
