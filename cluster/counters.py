"""Counters a node keeps for its heartbeats: process CPU and memory, latency histograms, counts by type.

Every node's ``stats()`` dict travels with its heartbeats to the broker, whose
status view the edges turn into ``/status.json`` and ``/metrics``. These
helpers keep that cheap on the hot path: an increment per packet, a bisect
per timed event, and the process sample once per heartbeat.
"""
from __future__ import annotations

import bisect
import os
import resource
import time

# Seconds; the upper bounds of a latency histogram's buckets (+Inf is implied).
LATENCY_BOUNDS_S = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

# Packet types above this are counted as "other", so a client cannot make a
# label value per number it sends (the protocol's types are below 140).
MAX_COUNTED_TYPE = 255
OTHER_TYPE = "other"

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Histogram:
    """Fixed-bucket counts of observed durations, in the shape Prometheus wants."""

    __slots__ = ("bounds", "counts", "total", "sum")

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BOUNDS_S) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last bucket is +Inf
        self.total = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.total += 1
        self.sum += seconds

    def to_wire(self) -> dict:
        """Plain data for a heartbeat: bucket bounds, per-bucket counts, count and sum."""
        return {"bounds": list(self.bounds), "counts": list(self.counts), "count": self.total,
                "sum": self.sum}


def count_type(counts: dict, packet_type: int) -> None:
    """One more packet of ``packet_type`` in ``counts`` (an int → count dict)."""
    if type(packet_type) is not int or not 0 <= packet_type <= MAX_COUNTED_TYPE:
        packet_type = OTHER_TYPE
    counts[packet_type] = counts.get(packet_type, 0) + 1


def by_type(counts: dict) -> dict[str, int]:
    """``counts`` with string keys, as labels and JSON want them."""
    return {str(key): value for key, value in counts.items()}


def payload_type(payload: bytes) -> int:
    """The type of an encoded client packet (``cluster.packets.encode`` writes it first); -1 if not."""
    if not isinstance(payload, bytes) or not payload.startswith(b'{"type":'):
        return -1
    end = 8
    while end < len(payload) and 48 <= payload[end] <= 57:
        end += 1
    return int(payload[8:end]) if end > 8 else -1


def resident_memory_bytes() -> int:
    """This process's resident set size (its peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def process_sample() -> dict:
    """CPU seconds used so far, resident memory and the wall clock of the sample (ms).

    Rates (CPU %, packets/s) are computed by whoever reads two samples, from
    the difference of ``at_ms``; a node sends totals only.
    """
    return {"cpu_seconds": time.process_time(), "rss_bytes": resident_memory_bytes(),
            "at_ms": int(time.time() * 1000)}
