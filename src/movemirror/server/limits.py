"""Per-connection limits: message size and a token-bucket rate limit."""

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
    max_connections: int = 1000
    max_in_flight: int = 16  # queries of one connection being answered at once


class TokenBucket:
    """Allows `rate` events a second on average and `burst` at once."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate = float(rate)
        self.capacity = float(burst)
        self.tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
