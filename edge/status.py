"""The edge's status pages: the broker's cluster view, cached, with rates and this edge's live counters.

``StatusCache`` asks the broker for its view (``STATUS`` over the edge's own
DEALER, answered with ``STATUS_REPLY``) at most once per
``edge.status_cache_ms``, however many browsers poll. ``status_view`` puts
this edge's live counters into its node entry and adds the rates (CPU %,
packets/s) that ``Rates`` computes from successive samples of each node's
totals. ``/status.json`` is that view; ``/metrics`` renders it with
``edge.metrics``; ``/status`` is ``static/status/index.html``, which polls
``/status.json``.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Callable

from cluster.link import now_ms

RATE_WINDOW_MS = 5000  # rates are averaged over the samples of about this long
QUERY_TIMEOUT_S = 2.0  # a view request the broker has not answered by then is asked again


class StatusCache:
    """The broker's cluster view, fetched over the edge's link when older than ``max_age_ms``."""

    def __init__(self, ask: Callable[[], None], max_age_ms: int) -> None:
        self.ask = ask
        self.max_age_ms = max_age_ms
        self.view: dict | None = None
        self.fetched_ms = 0
        self.asked_ms = 0
        self.pending: asyncio.Future | None = None

    def age_ms(self) -> int | None:
        return None if self.view is None else now_ms() - self.fetched_ms

    async def get(self) -> dict | None:
        """A view no older than ``max_age_ms``; the last one (or None) if the broker does not answer."""
        now = now_ms()
        if self.view is not None and now - self.fetched_ms < self.max_age_ms:
            return self.view
        if self.pending is None or self.pending.done() or now - self.asked_ms > QUERY_TIMEOUT_S * 1000:
            self.pending = asyncio.get_running_loop().create_future()
            self.asked_ms = now
            self.ask()
        try:
            return await asyncio.wait_for(asyncio.shield(self.pending), QUERY_TIMEOUT_S)
        except asyncio.TimeoutError:
            return self.view

    def on_reply(self, view: dict) -> None:
        if not isinstance(view, dict):
            return
        self.view, self.fetched_ms = view, now_ms()
        if self.pending is not None and not self.pending.done():
            self.pending.set_result(view)


def packet_totals(node: dict) -> tuple[float | None, float | None]:
    """(in, out) client packet totals of a node, as its role counts them."""
    stats = node.get("stats") or {}
    role = node.get("role")
    if role == "broker":
        return stats.get("packets_routed"), None
    packets_in = sum(stats["packets_in"].values()) if isinstance(stats.get("packets_in"), dict) else None
    if role == "edge":
        return packets_in, stats.get("frames_out")
    packets_out = sum(stats["packets_out"].values()) if isinstance(stats.get("packets_out"), dict) else None
    return packets_in, packets_out


class Rates:
    """Per node: CPU % and packets/s from the differences of its successive samples."""

    def __init__(self) -> None:
        self.samples: dict[str, deque] = {}

    def add(self, node: dict) -> None:
        stats = node.get("stats") or {}
        at_ms = stats.get("at_ms")
        if not isinstance(at_ms, int):
            return
        sample = (at_ms, stats.get("cpu_seconds"), *packet_totals(node))
        history = self.samples.setdefault(node["name"], deque())
        if history and at_ms <= history[-1][0]:
            return  # the same heartbeat again
        if history and any(isinstance(new, (int, float)) and isinstance(old, (int, float)) and new < old
                           for new, old in zip(sample[1:], history[-1][1:])):
            history.clear()  # the node restarted: its totals began again
        history.append(sample)
        while len(history) > 2 and at_ms - history[1][0] >= RATE_WINDOW_MS:
            history.popleft()

    def of(self, name: str) -> dict:
        """cpu_percent, packets_in_per_s and packets_out_per_s (None until two samples)."""
        history = self.samples.get(name)
        rates = {"cpu_percent": None, "packets_in_per_s": None, "packets_out_per_s": None}
        if not history or len(history) < 2:
            return rates
        (t0, *old), (t1, *new) = history[0], history[-1]
        seconds = (t1 - t0) / 1000
        for key, before, after, scale in zip(rates, old, new, (100, 1, 1)):
            if isinstance(before, (int, float)) and isinstance(after, (int, float)):
                rates[key] = round((after - before) / seconds * scale, 1)
        return rates

    def forget_others(self, names: set[str]) -> None:
        for name in set(self.samples) - names:
            del self.samples[name]


def status_view(view: dict | None, view_age_ms: int | None, edge: dict, rates: Rates) -> dict:
    """The cluster view for /status.json and /metrics, as this edge serves it.

    ``edge`` is this edge's own node entry with its live counters; it replaces
    the broker's (a heartbeat old). Without a view from the broker the answer
    holds this edge alone and ``view_age_ms`` is None.
    """
    view = dict(view) if view is not None else {"nodes": [], "leases": [], "sessions": None,
                                                 "players_in_game": None, "recovering": None,
                                                 "failovers": None, "recent_failovers": [], "queues": {}}
    nodes = [node for node in view["nodes"] if node["name"] != edge["name"]]
    own = next((node for node in view["nodes"] if node["name"] == edge["name"]), None)
    edge = {**edge, "heartbeat_age_s": own["heartbeat_age_s"] if own else None}
    nodes.append(edge)
    nodes.sort(key=lambda node: (node["role"] != "broker", node["role"], node["name"]))
    entries = []
    for node in nodes:
        rates.add(node)
        entries.append({**node, **rates.of(node["name"]), **memory_and_lag(node)})
    rates.forget_others({node["name"] for node in nodes})
    edges = [entry for entry in entries if entry["role"] == "edge"]
    view.update(nodes=entries, served_by=edge["name"], view_age_ms=view_age_ms,
                packets_per_s={"in": total(edges, "packets_in_per_s"), "out": total(edges, "packets_out_per_s")})
    return view


def memory_and_lag(node: dict) -> dict:
    stats = node.get("stats") or {}
    ages = stats.get("checkpoint_age_ms")
    return {"rss_bytes": stats.get("rss_bytes"),
            "checkpoint_age_ms": max(ages.values()) if isinstance(ages, dict) and ages else None}


def total(entries: list[dict], key: str) -> float | None:
    values = [entry[key] for entry in entries if entry[key] is not None]
    return round(sum(values), 1) if values else None
