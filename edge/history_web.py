"""The status history on the edge's loop: the sampler and ``/status/history.json``.

``HistorySampler`` reads the edge's status view (``Edge.status_view``, which
goes through ``StatusCache``: the broker is asked at most once per
``edge.status_cache_ms`` whoever asks) every ``edge.history_sample_ms`` and
adds it to an ``edge.history.History``. ``routes`` gives the handlers the
edge's Tornado application mounts: the JSON and the status page's scripts.
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Awaitable, Callable

import tornado.ioloop
import tornado.web

from cluster.config import Config
from cluster.link import now_ms
from edge.history import History
from edge.status import QUERY_TIMEOUT_S

log = logging.getLogger(__name__)


def new_history(config: Config) -> History:
    """The history of ``[edge]`` history_sample_ms and history_minutes.

    A view older than the cache's lifetime plus one query's timeout is one the
    broker did not refresh: its cluster-wide figures are left out of the sample.
    """
    edge = config.edge
    return History(edge.history_sample_ms, edge.history_minutes,
                   stale_after_ms=edge.status_cache_ms + int(QUERY_TIMEOUT_S * 1000))


class HistorySampler:
    """Adds a sample of the status view to ``history`` every ``history.sample_ms``."""

    def __init__(self, history: History, view: Callable[[], Awaitable[dict]]) -> None:
        self.history = history
        self.view = view
        self.running: asyncio.Future | None = None
        self.callback = tornado.ioloop.PeriodicCallback(self.tick, history.sample_ms)

    def start(self) -> None:
        self.callback.start()
        self.tick()

    def stop(self) -> None:
        self.callback.stop()
        if self.running is not None:
            self.running.cancel()

    def tick(self) -> None:
        if self.running is None or self.running.done():  # a slow broker answer skips a turn, never piles up
            self.running = asyncio.ensure_future(self.sample())

    async def sample(self) -> None:
        try:
            self.history.add(await self.view(), now_ms())
        except Exception:  # a bad view must not stop the sampling
            log.exception("could not sample the status view for the history")


class HistoryJson(tornado.web.RequestHandler):
    """``GET /status/history.json[?since=AT_MS]``: the samples (those after ``since``) and failovers."""

    def initialize(self, history: History) -> None:
        self.history = history

    def get(self) -> None:
        since = self.get_query_argument("since", None)
        try:
            after_ms = None if since is None else int(since)
        except ValueError:
            raise tornado.web.HTTPError(400, "since must be a time in ms") from None
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.history.to_wire(after_ms)))


def routes(history: History, status_dir: Path) -> list:
    """/status/history.json, and the status page's ES modules and vendored files under /status/."""
    return [(r"/status/history\.json", HistoryJson, {"history": history}),
            (r"/status/((?:vendor/)?[\w.-]+\.(?:js|css))", tornado.web.StaticFileHandler,
             {"path": str(status_dir)})]
