"""Rate limits: a token bucket per connection, and one per remote address for logins."""
from __future__ import annotations


class RateLimiter:
    """Allows ``burst`` packets at once and ``rate`` per second sustained."""

    __slots__ = ("rate", "burst", "tokens", "updated")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = float(rate)
        self.burst = float(max(burst, 1))
        self.tokens = self.burst
        self.updated = None

    def allow(self, now: float) -> bool:
        if self.updated is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class AddressLimits:
    """A token bucket per remote address; buckets idle long enough to be full again are forgotten."""

    def __init__(self, rate: float, burst: float, max_addresses: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_addresses = max_addresses
        self.buckets: dict[str, RateLimiter] = {}

    def allow(self, address: str, now: float) -> bool:
        bucket = self.buckets.get(address)
        if bucket is None:
            if len(self.buckets) >= self.max_addresses:
                self.forget_full(now)
            bucket = self.buckets[address] = RateLimiter(self.rate, self.burst)
        return bucket.allow(now)

    def forget_full(self, now: float) -> None:
        refill_s = self.burst / max(self.rate, 1e-9)
        self.buckets = {address: bucket for address, bucket in self.buckets.items()
                        if bucket.updated is not None and now - bucket.updated < refill_s}
