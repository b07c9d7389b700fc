"""Averages of a sampled value over sliding time windows (the stable and the panic window)."""

from __future__ import annotations

from collections import deque

__all__ = ["SampleWindow"]


class SampleWindow:
    """Samples ``(t, value)``; ``average(now, seconds)`` is the mean of those in the last ``seconds``.

    Memory is bounded: samples older than ``keep`` seconds are dropped, and at most
    ``max_samples`` are kept (the sampler's interval bounds the rate anyway).
    """

    def __init__(self, keep: float, max_samples: int = 10_000) -> None:
        self.keep = keep
        self._samples: deque[tuple[float, float]] = deque(maxlen=max_samples)

    def add(self, now: float, value: float) -> None:
        self._samples.append((now, value))
        oldest = now - self.keep
        while self._samples and self._samples[0][0] < oldest:
            self._samples.popleft()

    def average(self, now: float, seconds: float) -> float:
        since = now - seconds
        total = 0.0
        count = 0
        for t, value in reversed(self._samples):
            if t < since:
                break
            total += value
            count += 1
        return total / count if count else 0.0

    def __len__(self) -> int:
        return len(self._samples)
