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

__all__ = ["KeyStats", "StatisticsStore", "milliseconds"]


def milliseconds(seconds: float) -> float:
    """Milliseconds to 3 decimals, as ``round(seconds * 1000, 3)`` gives them (whose exact
    decimal rounding costs ~1 µs here; access-log lines and flow traces take one per request
    or node)."""
    return int(seconds * 1e6 + 0.5) / 1000


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

    def export(self) -> dict[str, Any]:
        """Everything needed to merge this store with another process's (workers of one instance)."""
        return {
            "started_at": self.started_at,
            "window": self.window,
            "data": {
                kind: {
                    key: {
                        "count": s.count,
                        "errors": s.errors,
                        "total_s": s.total_s,
                        "max_s": s.max_s,
                        "samples": list(s.samples),
                        "last_at": s.last_at,
                    }
                    for key, s in per_kind.items()
                }
                for kind, per_kind in self._data.items()
            },
        }

    @classmethod
    def merged(cls, exports: list[dict[str, Any]]) -> StatisticsStore:
        """One store holding the sum of several exports (counts add, quantiles over all samples)."""
        window = max((int(e.get("window") or 0) for e in exports), default=2048) or 2048
        store = cls(window * max(1, len(exports)))
        store.window = window
        store.started_at = min(
            (float(e.get("started_at") or time.time()) for e in exports), default=time.time()
        )
        for export in exports:
            for kind, per_kind in (export.get("data") or {}).items():
                for key, raw in per_kind.items():
                    target = store._data.setdefault(kind, {}).get(key)
                    if target is None:
                        target = store._data[kind][key] = KeyStats(window * max(1, len(exports)))
                    target.count += int(raw["count"])
                    target.errors += int(raw["errors"])
                    target.total_s += float(raw["total_s"])
                    target.max_s = max(target.max_s, float(raw["max_s"]))
                    target.samples.extend(float(x) for x in raw["samples"])
                    target.last_at = max(target.last_at, float(raw["last_at"]))
        return store

    def reset(self) -> None:
        self._data.clear()
        self.started_at = time.time()
