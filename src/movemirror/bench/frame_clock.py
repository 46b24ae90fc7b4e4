"""Camera frames at a fixed rate, for bench serve's clients: when each is due, which is next."""

from __future__ import annotations

import asyncio
import random
import time


class FrameClock:
    """Frames every 1/rate s from a random phase after `start` (so that many clients spread
    over one period) until `stop`; `frame` counts the frames shown so far, from `first`."""

    def __init__(self, rate: float, start: float, stop: float, first: int = 0):
        self.rate = rate
        self.due = start + random.random() / rate
        self.stop = stop
        self.frame = first

    async def wait(self) -> bool:
        """Sleeps until the next frame is due; False once it would come after `stop`."""
        if self.due >= self.stop:
            return False
        delay = self.due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        return True

    def advance(self, now: float | None = None) -> None:
        """On to the next frame; given `now`, to the newest frame shown by then (at least the
        next: latest wins, the frames in between are never sent)."""
        skipped = 1 if now is None else max(1, int((now - self.due) * self.rate))
        self.frame += skipped
        self.due += skipped / self.rate
