"""Logging set-up shared by every node: one line per event, with the node name."""
from __future__ import annotations

import logging
import os
import sys


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
