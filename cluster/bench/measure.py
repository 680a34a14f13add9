"""What ``odyssey bench`` counts: tallies, the move ledger and a mergeable latency histogram.

Everything here is plain data that one bench process fills and a coordinator
adds up (``--processes N``): counters sum, histograms merge bucket by bucket,
so the merged percentiles are as exact as one process's.
"""
from __future__ import annotations

import collections
import enum
import math
from dataclasses import dataclass, field

MAX_ERROR_SAMPLES = 10
# Moves remembered per mover, so a relay that arrives late still finds its send time.
RECENT_MOVES_KEPT = 8
# Latencies are counted per microsecond up to this many; above, per millisecond,
# which bounds the histogram to ~160k buckets even for minutes-long stalls.
FINE_LIMIT_US = 100_000
COARSE_US = 1000


class ErrorKind(str, enum.Enum):
    """Why a bot failed; each failed bot counts once, under its first cause."""

    CONNECT = "connect failures"
    PROTOCOL = "protocol errors"
    CLOSED = "closed connections"
    RAMP_TIMEOUT = "ramp timeouts"


class LatencyHistogram:
    """Counts of latencies at 1 µs resolution (1 ms above 100 ms), mergeable across processes."""

    __slots__ = ("counts", "max_s", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.max_s = 0.0

    def observe(self, seconds: float) -> None:
        micros = int(seconds * 1_000_000)
        if micros >= FINE_LIMIT_US:
            micros -= micros % COARSE_US
        counts = self.counts
        counts[micros] = counts.get(micros, 0) + 1
        self.total += 1
        if seconds > self.max_s:  # noqa: PLR1730 (hot path: cheaper than max())
            self.max_s = seconds

    def merge(self, other: LatencyHistogram) -> None:
        counts = self.counts
        for micros, count in other.counts.items():
            counts[micros] = counts.get(micros, 0) + count
        self.total += other.total
        self.max_s = max(self.max_s, other.max_s)

    def percentile_ms(self, fraction: float) -> float | None:
        """Nearest-rank percentile in milliseconds (the bucket's lower edge); None if empty."""
        if not self.total:
            return None
        if fraction >= 1.0:
            return round(self.max_s * 1000.0, 3)
        rank = max(1, math.ceil(fraction * self.total))
        seen = 0
        for micros in sorted(self.counts):
            seen += self.counts[micros]
            if seen >= rank:
                return round(micros / 1000.0, 3)
        return round(self.max_s * 1000.0, 3)  # not reached: the counts add up to total

    def to_wire(self) -> dict:
        return {"counts": self.counts, "total": self.total, "max_s": self.max_s}

    @classmethod
    def from_wire(cls, data: dict) -> LatencyHistogram:
        histogram = cls()
        histogram.counts = dict(data["counts"])
        histogram.total = data["total"]
        histogram.max_s = data["max_s"]
        return histogram


class MoveLedger:
    """Send times of each bot's recent moves, so whoever receives the 115 relay can time it."""

    __slots__ = ("_recent",)

    def __init__(self) -> None:
        self._recent: dict[int, collections.deque[tuple[int, int, int, float]]] = {}

    def record(self, mover_id: int, x: int, y: int, direction: int, sent_at: float) -> None:
        recent = self._recent.get(mover_id)
        if recent is None:
            recent = self._recent[mover_id] = collections.deque(maxlen=RECENT_MOVES_KEPT)
        recent.append((x, y, direction, sent_at))

    def sent_at(self, mover_id: object, x: object, y: object, direction: object) -> float | None:
        """The send time of the mover's latest move from (x, y) in ``direction``.

        Falls back to the mover's latest move when none matches (a server may
        relay the destination rather than the start tile).
        """
        recent = self._recent.get(mover_id)  # type: ignore[arg-type]
        if not recent:
            return None
        for moved_x, moved_y, moved_dir, sent_at in reversed(recent):
            if moved_x == x and moved_y == y and moved_dir == direction:
                return sent_at
        return recent[-1][3]


@dataclass(slots=True)
class BenchCounters:
    """Tallies of one bench process, written by every bot; ``add`` sums another process's."""

    in_game: int = 0
    moves_sent: int = 0
    bounces: int = 0  # own 110 while walking: the server refused a step (no relay follows)
    relays_received: int = 0
    relays_expected: int = 0  # accepted moves x the other bots in game on the mover's map
    chats_sent: int = 0
    busy_retries: int = 0
    profession_count: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    errors: collections.Counter[ErrorKind] = field(default_factory=collections.Counter)
    error_samples: list[str] = field(default_factory=list)

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    def add_error(self, kind: ErrorKind, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(f"{kind.value}: {detail}")

    def add(self, other: BenchCounters) -> None:
        for name in ("in_game", "moves_sent", "bounces", "relays_received", "relays_expected", "chats_sent",
                     "busy_retries"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.profession_count = max(self.profession_count, other.profession_count)
        self.latency.merge(other.latency)
        self.errors.update(other.errors)
        room = MAX_ERROR_SAMPLES - len(self.error_samples)
        self.error_samples.extend(other.error_samples[:max(0, room)])

    def to_wire(self) -> dict:
        """Plain data for the pipe between a bench process and its coordinator."""
        return {"in_game": self.in_game, "moves_sent": self.moves_sent, "bounces": self.bounces,
                "relays_received": self.relays_received, "relays_expected": self.relays_expected,
                "chats_sent": self.chats_sent, "busy_retries": self.busy_retries,
                "profession_count": self.profession_count, "latency": self.latency.to_wire(),
                "errors": {kind.name: count for kind, count in self.errors.items()},
                "error_samples": list(self.error_samples)}

    @classmethod
    def from_wire(cls, data: dict) -> BenchCounters:
        counters = cls(**{key: data[key] for key in ("in_game", "moves_sent", "bounces", "relays_received",
                                                      "relays_expected", "chats_sent", "busy_retries",
                                                      "profession_count")})
        counters.latency = LatencyHistogram.from_wire(data["latency"])
        counters.errors.update({ErrorKind[name]: count for name, count in data["errors"].items()})
        counters.error_samples = list(data["error_samples"])
        return counters
