"""Exponential back-off after failed launches, so a broken runtime is never retried in a loop."""

from __future__ import annotations

__all__ = ["LaunchBackoff"]


class LaunchBackoff:
    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.failures = 0
        self.last_error = ""
        self.retry_at = 0.0  # monotonic; no launch before

    def blocked(self, now: float) -> bool:
        return now < self.retry_at

    def failed(self, now: float, error: str) -> float:
        """Record a failure; returns the seconds until the next attempt."""
        self.failures += 1
        self.last_error = error
        delay = min(self.maximum, self.initial * 2.0 ** (self.failures - 1))
        self.retry_at = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = 0.0
