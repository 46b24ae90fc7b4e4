"""Per-connection limits: message size, a token-bucket rate limit and a budget for refused
messages."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one client may send. The defaults leave room for a 60 Hz camera with bursts."""

    max_message_bytes: int = 16 * 1024  # a pose message is ~1 KB of JSON
    max_body_bytes: int = 16 * 1024  # POST /api/search
    rate_per_second: float = 120.0  # sustained messages per second per connection
    burst: int = 240  # messages allowed at once above the sustained rate
    # A client that keeps sending after this many refused messages in a row is flooding.
    max_refused_in_a_row: int = 200
    # The budget for messages the stream refuses for what they are (an "invalid", "bad_pose",
    # "too_large" or "unsupported" error frame): `refused_burst` at once, then
    # `refused_per_second`. A connection past it is slowed, not cut: each further refused
    # message is answered only when the budget has refilled by one, and its socket is not read
    # meanwhile. A page never sends one; a buggy script gets its first few errors at once.
    # A refused message that ends the connection (binary, oversized) is answered, and the
    # connection closed, once the budget is full again: the budget a client gets by
    # reconnecting is one it has waited for.
    refused_burst: int = 4
    # 1 a second, not 2: a flooding client costs the server less CPU (README "bench serve"),
    # and a buggy script still sees its first few errors at once.
    refused_per_second: float = 1.0
    max_connections: int = 1000
    # Replies one connection may be owed (mostly cheap superseded frames) before the server
    # stops reading its messages until it reads its replies.
    max_owed_replies: int = 64
    search_rate_per_second: float = 60.0  # POST /api/search per client address
    search_burst: int = 120


class RateLimiter:
    """One token bucket per client key, forgetting keys idle long enough to be full again."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic, max_keys: int = 10_000):
        self.rate, self.burst, self._clock, self.max_keys = rate, burst, clock, max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def allow(self, key: str) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_idle()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self._clock)
        return bucket.take()

    def _forget_idle(self) -> None:
        now = self._clock()
        full_after = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b._last > full_after]:
            del self._buckets[key]


class TokenBucket:
    """Allows `rate` events a second on average and `burst` at once."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate = float(rate)
        self.capacity = float(burst)
        self.tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def reserve(self) -> float:
        """Takes a token, owing it when there is none: the seconds until what is owed is
        paid (0 when nothing is). Reservations queue up, each one 1/rate after the last."""
        self._refill()
        self.tokens -= 1.0
        return self.owed_seconds()

    def available(self) -> float:
        """The tokens there now (below 0 when some are owed)."""
        self._refill()
        return self.tokens

    def seconds_until_full(self) -> float:
        """The seconds until the bucket is full again (0 when it is)."""
        self._refill()
        return max(0.0, (self.capacity - self.tokens) / self.rate)

    def owed_seconds(self) -> float:
        """The seconds until no token is owed any more (0 when none is)."""
        if self.tokens >= 0.0:  # tokens only grow until the next take
            return 0.0
        self._refill()
        return max(0.0, -self.tokens / self.rate)

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now
