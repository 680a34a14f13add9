"""A node's lifeline: heartbeats its own work cannot starve, and a watchdog on its loop.

Busy is not dead, and hung is not alive. A thread beside the node's loop:

* sends ``LIFE`` to the broker every heartbeat interval on a DEALER of its own
  (identity ``<name>!life``), so a node whose loop is busy with a long turn
  is never taken for a dead one (``broker.node`` counts any traffic as life);
* watches the loop: the loop calls ``turn()`` once per iteration and names
  what it is doing in ``doing``; if no turn happens for ``watchdog_ms``, the
  thread logs one line naming that activity and ends the process with
  ``WATCHDOG_EXIT``, so the supervisor (``odyssey up``, or systemd under
  ``odyssey node``) restarts it;
* keeps faulthandler's C-level timer armed at twice the watchdog: when a C
  call holds the GIL so that no Python thread runs, that timer still fires,
  dumps every thread's stack to stderr and exits;
* notices when the whole process was frozen (SIGSTOP, a suspended VM): the
  thread itself did not run for longer than ``freeze_ms``; ``froze()`` tells
  the loop once, so a map worker can have its leases confirmed before it
  acts on them again.

After ``stopping()`` the watchdog gives the node ``stop_deadline_ms`` to exit
and ends it if it has not.
"""
from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
import time
from typing import Any, Callable

import zmq

from cluster import wire

log = logging.getLogger(__name__)

WATCHDOG_EXIT = 70  # a node ended by its own watchdog (EX_SOFTWARE); the supervisor restarts it
# A node's side channels: identities no node has (node names cannot contain "!").
LIFE_SUFFIX = "!life"  # its lifeline's heartbeats
GUARDIAN_SUFFIX = "!guardian"  # a map worker's guardian's crash report (workers.guardian)


def life_identity(name: str) -> bytes:
    return (name + LIFE_SUFFIX).encode()


class Lifeline:
    """The thread described in the module docstring; ``turn`` and ``doing`` are the loop's side."""

    def __init__(self, name: str, incarnation: str, interval_ms: int, watchdog_ms: int,
                 freeze_ms: int | None = None, stop_deadline_ms: int = 3000,
                 socket_factory: Callable[[], Any] | None = None) -> None:
        self.name = name
        self.incarnation = incarnation
        self.interval_s = interval_ms / 1000
        self.watchdog_s = watchdog_ms / 1000
        self.freeze_s = (freeze_ms if freeze_ms is not None else interval_ms * 2) / 1000
        self.stop_deadline_s = stop_deadline_ms / 1000
        self.socket_factory = socket_factory
        self.turns = 0
        self.doing: Any = "starting"  # what the loop does now: a str, or a tuple formatted only when logged
        self._frozen = False
        self._stop_at: float | None = None
        self._quit = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-lifeline", daemon=True)

    # --- the loop's side (cheap: attribute writes only) -----------------------------------------
    def turn(self) -> None:
        self.turns += 1

    def froze(self) -> bool:
        """True once after the whole process was frozen for longer than ``freeze_ms``."""
        if self._frozen:
            self._frozen = False
            return True
        return False

    def start(self) -> "Lifeline":
        self._thread.start()
        return self

    def stopping(self) -> None:
        """The node is shutting down: from now on it has ``stop_deadline_ms`` to exit."""
        if self._stop_at is None:
            self._stop_at = time.monotonic() + self.stop_deadline_s

    def close(self) -> None:
        self._quit.set()
        faulthandler.cancel_dump_traceback_later()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=1)

    # --- the thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        dealer = self.socket_factory() if self.socket_factory else None
        tick_s = max(0.01, min(self.interval_s, self.watchdog_s / 4, self.freeze_s / 2))
        seen_turns, progress_at, ticked_at, beat_at = -1, time.monotonic(), time.monotonic(), 0.0
        try:
            while not self._quit.wait(tick_s):
                now = time.monotonic()
                if now - ticked_at > self.freeze_s:
                    self._frozen = True
                    progress_at = now  # the loop was frozen too, not stuck: give it a fresh start
                ticked_at = now
                if self.turns != seen_turns:
                    seen_turns, progress_at = self.turns, now
                elif now - progress_at > self.watchdog_s and self._stop_at is None:
                    self._end(f"watchdog: the loop made no progress for {(now - progress_at) * 1000:.0f} ms "
                              f"while {describe(self.doing)}; exiting (code {WATCHDOG_EXIT})")
                if self._stop_at is not None and now > self._stop_at:
                    self._end(f"did not stop within {self.stop_deadline_s:.1f} s (while {describe(self.doing)}); "
                              f"exiting (code {WATCHDOG_EXIT})")
                if dealer is not None and now - beat_at >= self.interval_s:
                    beat_at = now
                    self._beat(dealer)
                faulthandler.dump_traceback_later(max(2 * self.watchdog_s, 1.0), exit=True)
        finally:
            faulthandler.cancel_dump_traceback_later()
            if dealer is not None:
                dealer.close(0)

    def _beat(self, dealer) -> None:
        try:
            dealer.send(wire.pack([[wire.LIFE, self.incarnation]]), zmq.NOBLOCK)
        except zmq.ZMQError:
            pass  # the broker is away or its queue is full: the next beat tries again

    def _end(self, line: str) -> None:
        log.error("%s: %s", self.name, line)
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stderr.flush()
        os._exit(WATCHDOG_EXIT)


def describe(activity: Any) -> str:
    """The loop's activity as words; tuples are (format, *args) so the hot path never formats."""
    if isinstance(activity, tuple) and activity and isinstance(activity[0], str):
        try:
            return activity[0] % activity[1:]
        except (TypeError, ValueError):
            return repr(activity)
    return str(activity)
