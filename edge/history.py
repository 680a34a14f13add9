"""The status history: a ring buffer of samples of the edge's status view, for the charts of /status.

Every ``edge.history_sample_ms`` the edge hands its status view (the one
``/status.json`` serves, through the same cache, so no broker query of its
own) to ``History.add``, which keeps a ``Sample`` of it: the handful of
cluster-wide figures the charts draw. The buffer holds
``edge.history_minutes`` of samples, oldest first; the failovers the broker
reported in the last window are kept beside it, one record each, so the charts can
mark them. ``/status/history.json`` is ``History.to_wire``.

Pure logic: no clock (the caller passes ``at_ms``), no I/O.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, fields

ROUTING_QUANTILE = 0.99  # the routing latency the charts draw
MAX_FAILOVER_EVENTS = 200  # failover records kept for marking (the newest, if more were in the window)


@dataclass(slots=True, frozen=True)
class Sample:
    """The cluster as one status view showed it. None where the view did not say: the broker
    did not answer (``broker_up`` false), or no node reports that figure (e.g. no map worker)."""
    at_ms: int  # the edge's wall clock when the view was read
    broker_up: bool  # the broker answered: the cluster-wide figures are current
    sessions: int | None  # the broker's session table
    players_in_game: int | None
    packets_in_per_s: float | None  # frames from players, summed over the edges
    packets_out_per_s: float | None  # frames to players, summed over the edges
    routing_p99_ms: float | None  # over the frames the broker routed since the previous sample
    checkpoint_lag_ms: int | None  # the oldest map's, over all map workers
    failovers: int | None  # the broker's total since it started
    queued: int | None  # commands the broker holds, all queues
    nodes: int  # nodes in the view (this edge included)
    edge_sessions: int | None  # this edge's own websockets, known without the broker too

    def to_wire(self) -> dict:
        return {name: getattr(self, name) for name in SAMPLE_FIELDS}


SAMPLE_FIELDS = tuple(f.name for f in fields(Sample))


def capacity(sample_ms: int, minutes: int) -> int:
    """How many samples cover ``minutes`` at one per ``sample_ms`` (at least 2)."""
    return max(2, math.ceil(minutes * 60_000 / sample_ms))


def histogram_quantile(q: float, bounds: list[float], counts: list[int]) -> float | None:
    """The ``q`` quantile of bucket counts (the last bucket is +Inf), as Prometheus estimates it:
    linear within the bucket it falls in; the largest finite bound if that is +Inf. None if empty."""
    total = sum(counts)
    if total <= 0 or not bounds:
        return None
    rank = q * total
    below = 0
    for index, count in enumerate(counts):
        if count > 0 and below + count >= rank:
            if index >= len(bounds):
                return float(bounds[-1])
            lower = float(bounds[index - 1]) if index else 0.0
            return lower + (float(bounds[index]) - lower) * (rank - below) / count
        below += count
    return float(bounds[-1])


class IntervalHistogram:
    """A cumulative histogram (as the broker reports it) read as the counts between two reads."""

    def __init__(self) -> None:
        self.previous: list[int] | None = None

    def quantile(self, q: float, histogram) -> float | None:
        """``q`` over what was observed since the previous call; None on the first call or if nothing was."""
        if not valid_histogram(histogram):
            return None  # the broker did not report: keep the previous counts for when it does
        counts, previous = list(histogram["counts"]), self.previous
        self.previous = counts
        if previous is None:
            return None  # no interval yet: the totals since the broker started are no recent p99
        if len(previous) != len(counts) or any(now < before for now, before in zip(counts, previous)):
            previous = [0] * len(counts)  # the broker restarted: its counts began again
        return histogram_quantile(q, histogram["bounds"], [now - before for now, before in zip(counts, previous)])


def valid_histogram(histogram) -> bool:
    if not isinstance(histogram, dict):
        return False
    bounds, counts = histogram.get("bounds"), histogram.get("counts")
    return (isinstance(bounds, list) and isinstance(counts, list) and len(counts) == len(bounds) + 1
            and all(is_number(b) for b in bounds) and all(isinstance(c, int) and c >= 0 for c in counts))


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value):
    return value if is_number(value) else None


def max_of(values) -> int | float | None:
    present = [value for value in values if is_number(value)]
    return max(present) if present else None


class History:
    """The last ``minutes`` of samples (oldest first) and the failovers reported in that time."""

    def __init__(self, sample_ms: int, minutes: int, stale_after_ms: int) -> None:
        """``stale_after_ms``: a view older than this means the broker did not answer."""
        self.sample_ms = sample_ms
        self.window_ms = minutes * 60_000
        self.stale_after_ms = stale_after_ms
        self.samples: deque[Sample] = deque(maxlen=capacity(sample_ms, minutes))
        self.failovers: dict[tuple, dict] = {}  # (map_id, from, at_ms) → the broker's record
        self.routing = IntervalHistogram()

    def add(self, view: dict, at_ms: int) -> Sample | None:
        """Sample ``view`` (as ``edge.status.status_view`` made it) at ``at_ms``; None if not after the last."""
        if self.samples and at_ms <= self.samples[-1].at_ms:
            return None  # the clock stepped back: keep the buffer in time order
        sample = self.sample_of(view, at_ms)
        self.samples.append(sample)
        if sample.broker_up:
            self.note_failovers(view.get("recent_failovers"))
        self.forget_failovers_before(at_ms - self.window_ms)
        return sample

    def sample_of(self, view: dict, at_ms: int) -> Sample:
        nodes = [node for node in view.get("nodes") or [] if isinstance(node, dict)]
        own = next((node for node in nodes if node.get("name") == view.get("served_by")), {})
        age = view.get("view_age_ms")
        up = is_number(age) and age < self.stale_after_ms
        broker = next((node for node in nodes if node.get("role") == "broker"), {})
        routing = self.routing.quantile(ROUTING_QUANTILE, (broker.get("stats") or {}).get("routing_seconds")
                                        if up else None)
        rates = view.get("packets_per_s") or {}
        queues = view.get("queues")
        return Sample(
            at_ms=at_ms, broker_up=up,
            sessions=number(view.get("sessions")) if up else None,
            players_in_game=number(view.get("players_in_game")) if up else None,
            packets_in_per_s=number(rates.get("in")) if up else None,
            packets_out_per_s=number(rates.get("out")) if up else None,
            routing_p99_ms=None if routing is None else round(routing * 1000, 3),
            checkpoint_lag_ms=max_of(node.get("checkpoint_age_ms") for node in nodes) if up else None,
            failovers=number(view.get("failovers")) if up else None,
            queued=sum(v for v in queues.values() if is_number(v)) if up and isinstance(queues, dict) else None,
            nodes=len(nodes),
            edge_sessions=number((own.get("stats") or {}).get("sessions")))

    def note_failovers(self, records) -> None:
        """Keep the broker's recent failovers; a record seen again may now name the new worker."""
        for record in records if isinstance(records, list) else []:
            if not isinstance(record, dict) or not isinstance(record.get("at_ms"), int):
                continue
            event = {"map_id": record.get("map_id"), "from": record.get("from"), "to": record.get("to"),
                     "at_ms": record["at_ms"], "granted_after_ms": record.get("granted_after_ms")}
            self.failovers[(event["map_id"], event["from"], event["at_ms"])] = event

    def forget_failovers_before(self, oldest_ms: int) -> None:
        kept = sorted((event for event in self.failovers.values() if event["at_ms"] >= oldest_ms),
                      key=lambda event: event["at_ms"])[-MAX_FAILOVER_EVENTS:]
        if len(kept) != len(self.failovers):
            self.failovers = {(e["map_id"], e["from"], e["at_ms"]): e for e in kept}

    def to_wire(self, after_ms: int | None = None) -> dict:
        """The settings, the samples taken after ``after_ms`` (all without it) and every failover kept."""
        samples = self.samples if after_ms is None else [s for s in self.samples if s.at_ms > after_ms]
        return {"sample_ms": self.sample_ms, "window_ms": self.window_ms, "capacity": self.samples.maxlen,
                "samples": [sample.to_wire() for sample in samples],
                "failovers": sorted(self.failovers.values(), key=lambda event: event["at_ms"])}
