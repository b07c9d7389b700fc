"""In-process statistics for ``/v1/statistics``: count, errors and latency quantiles per key.

Any part of the gateway records with ``stats.observe(kind, key, seconds, error)``: the core
uses kinds ``route`` and ``service``; extensions add their own (e.g. ``flow``, ``node``).
Quantiles come from the last ``window`` samples of each key (a bounded ring), so memory
stays flat under load.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

__all__ = ["KeyStats", "StatisticsStore"]


class KeyStats:
    __slots__ = ("count", "errors", "total_s", "max_s", "samples", "last_at")

    def __init__(self, window: int) -> None:
        self.count = 0
        self.errors = 0
        self.total_s = 0.0
        self.max_s = 0.0
        self.samples: deque[float] = deque(maxlen=window)
        self.last_at = 0.0

    def add(self, seconds: float, error: bool) -> None:
        self.count += 1
        if error:
            self.errors += 1
        self.total_s += seconds
        if seconds > self.max_s:
            self.max_s = seconds
        self.samples.append(seconds)
        self.last_at = time.time()

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples)
        return {
            "count": self.count,
            "errors": self.errors,
            "error_rate": round(self.errors / self.count, 4) if self.count else 0.0,
            "mean_ms": round(1000 * self.total_s / self.count, 3) if self.count else None,
            "p50_ms": _quantile_ms(ordered, 0.50),
            "p99_ms": _quantile_ms(ordered, 0.99),
            "max_ms": round(1000 * self.max_s, 3) if self.count else None,
        }


def _quantile_ms(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    idx = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))  # nearest-rank
    return round(1000 * ordered[idx], 3)


class StatisticsStore:
    """``kind`` → ``key`` → ``KeyStats``."""

    def __init__(self, window: int = 2048) -> None:
        self.window = window
        self.started_at = time.time()
        self._data: dict[str, dict[str, KeyStats]] = {}

    def observe(self, kind: str, key: str, seconds: float, error: bool = False) -> None:
        per_kind = self._data.get(kind)
        if per_kind is None:
            per_kind = self._data[kind] = {}
        stats = per_kind.get(key)
        if stats is None:
            stats = per_kind[key] = KeyStats(self.window)
        stats.add(seconds, error)

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        stats = self._data.get(kind, {}).get(key)
        return stats.summary() if stats else None

    def kinds(self) -> list[str]:
        return sorted(self._data)

    def snapshot(self, kind: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        kinds = [kind] if kind else self.kinds()
        return {k: {key: s.summary() for key, s in sorted(self._data.get(k, {}).items())} for k in kinds}

    def reset(self) -> None:
        self._data.clear()
        self.started_at = time.time()
