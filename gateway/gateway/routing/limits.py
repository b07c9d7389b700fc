"""Per-process admission limits: token-bucket rates (→ 429) and requests in flight (→ 503).

The limits themselves come from the immutable routing view; the counters are this process's
own mutable state (one gateway process = one bucket; N processes admit up to N times the rate,
as Traefik's rateLimit and nginx's limit_req do per instance). Keys are service names of the
current view only, so the dicts stay bounded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..policy import RateLimit

__all__ = ["Limits", "Rejection", "TokenBucket"]


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, limit: RateLimit) -> None:
        self.rate = limit.rate
        self.burst = limit.burst
        self.tokens = float(limit.burst)
        self.stamp = time.monotonic()

    def take(self, now: float) -> float:
        """0.0 if a token was taken, else the seconds until one is available."""
        tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return 0.0
        self.tokens = tokens
        return (1.0 - tokens) / self.rate


class Rejection:
    """Why a request was not admitted: the status, the Retry-After seconds, a message."""

    __slots__ = ("detail", "retry_after", "status")

    def __init__(self, status: int, retry_after: int, detail: str) -> None:
        self.status = status
        self.retry_after = retry_after
        self.detail = detail


class Limits:
    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._in_flight: dict[str, int] = {}

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)

    def admit(self, key: str, rate: RateLimit | None, max_in_flight: int | None) -> Rejection | None:
        """Take a token and an in-flight slot for ``key``; on success call ``release(key)`` later
        (only when ``max_in_flight`` was given)."""
        if rate is not None:
            bucket = self._buckets.get(key)
            if bucket is None or bucket.rate != rate.rate or bucket.burst != rate.burst:
                bucket = self._buckets[key] = TokenBucket(rate)
            wait = bucket.take(time.monotonic())
            if wait > 0:
                return Rejection(
                    429,
                    max(1, math.ceil(wait)),
                    f"rate limit of {key!r} exceeded ({rate.rate:g} requests/s, burst {rate.burst})",
                )
        if max_in_flight is not None:
            current = self._in_flight.get(key, 0)
            if current >= max_in_flight:
                return Rejection(
                    503, 1, f"{key!r} has {current} requests in flight (max_in_flight {max_in_flight})"
                )
            self._in_flight[key] = current + 1
        return None

    @contextmanager
    def admitted(
        self, key: str, rate: RateLimit | None, max_in_flight: int | None
    ) -> Iterator[Rejection | None]:
        """``admit`` for the block: yields the ``Rejection`` (None: admitted); the in-flight slot
        taken is released when the block ends, however it ends."""
        rejected = self.admit(key, rate, max_in_flight)
        try:
            yield rejected
        finally:
            if rejected is None and max_in_flight is not None:
                self.release(key)

    def release(self, key: str) -> None:
        left = self._in_flight.get(key, 0) - 1
        if left > 0:
            self._in_flight[key] = left
        else:
            self._in_flight.pop(key, None)

    def forget(self, keep: set[str]) -> None:
        """Drop buckets of services no longer limited (in-flight counts drain by themselves)."""
        for key in [k for k in self._buckets if k not in keep]:
            del self._buckets[key]
