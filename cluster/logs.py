"""Logging set-up shared by every node: one line per event, with the node name."""
from __future__ import annotations

import logging
import os
import sys
import time


def setup(node_name: str, level: str | None = None) -> None:
    """Log to stderr as ``time level [node] message``."""
    level = level or os.environ.get("ODYSSEY_LOG_LEVEL", "INFO")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s %(levelname)s [{node_name}] %(message)s", datefmt="%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)


class RateLimitedLog:
    """One line per kind of problem per interval, with how many were suppressed meanwhile.

    Bad input (a malformed command, a client's junk) is the normal case, so a
    node logs it, but a flood of it must not flood the log.
    """

    def __init__(self, logger: logging.Logger, interval_s: float = 10.0, level: int = logging.WARNING) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self.level = level
        self.last_at: dict[str, float] = {}
        self.suppressed: dict[str, int] = {}

    def __call__(self, kind: str, message: str, *args, exc_info: bool = False) -> None:
        now = time.monotonic()
        if now - self.last_at.get(kind, -self.interval_s) < self.interval_s:
            self.suppressed[kind] = self.suppressed.get(kind, 0) + 1
            return
        if len(self.last_at) > 10_000:  # kinds may be built from input: keep the table small
            self.last_at.clear()
        self.last_at[kind] = now
        again = self.suppressed.pop(kind, 0)
        if again:
            message += f" ({again} more like it since the last report)"
        self.logger.log(self.level, message, *args, exc_info=exc_info)
