"""A small async token bucket: Consul's advice for blocking-query loops (burst ~2)."""

from __future__ import annotations

import asyncio
import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """At most ``burst`` immediate calls, then one per ``interval`` seconds."""

    def __init__(self, interval: float, burst: int = 2) -> None:
        self.interval = interval
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        if self.interval > 0:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) / self.interval)
        else:
            self._tokens = float(self.burst)
        self._stamp = now

    def delay(self) -> float:
        """Seconds until a token is available (0 if one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) * self.interval

    async def take(self) -> None:
        wait = self.delay()
        if wait > 0:
            await asyncio.sleep(wait)
            self._refill()
        self._tokens = max(0.0, self._tokens - 1)
