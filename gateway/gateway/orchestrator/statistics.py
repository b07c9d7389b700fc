"""OPEA's in-process statistics (``comps/cores/mega/base_statistics.py``), same API and shape.

``@register_statistics(names=[...])`` creates a ``BaseStatistics`` per name in
``statistics_dict``; code records ``statistics_dict[name].append_latency(seconds,
first_token_seconds)``; ``collect_all_statistics()`` (served as ``GET /v1/statistics`` by
``MicroService.router()``) answers ``{name: {p50_latency, p99_latency, average_latency,
p50_latency_first_token, p99_latency_first_token, average_latency_first_token}}``, ``None``
where nothing was recorded. Percentiles interpolate linearly, as ``numpy.percentile`` does.

Deliberate difference: OPEA keeps every latency forever (a list per name); here each name
keeps the last ``WINDOW`` values, so a long-running service's memory stays bounded.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["WINDOW", "BaseStatistics", "collect_all_statistics", "register_statistics", "statistics_dict"]

WINDOW = 10_000
F = TypeVar("F", bound=Callable[..., Any])


def percentile(values: Sequence[float], q: float) -> float:
    """``numpy.percentile(values, q)`` with its default (linear) interpolation."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class BaseStatistics:
    """Latencies (and first-token latencies) of one named entity, for ``/v1/statistics``."""

    def __init__(self, window: int = WINDOW) -> None:
        self.response_times: deque[float] = deque(maxlen=window)
        self.first_token_latencies: deque[float] = deque(maxlen=window)

    def append_latency(self, latency: float, first_token_latency: float | None = None) -> None:
        self.response_times.append(latency)
        if first_token_latency:  # OPEA's test: 0 and None both mean "no first token"
            self.first_token_latencies.append(first_token_latency)

    @staticmethod
    def _add_statistics(result: dict[str, float | None], stats: Sequence[float], suffix: str) -> None:
        if stats:
            result[f"p50_{suffix}"] = percentile(stats, 50)
            result[f"p99_{suffix}"] = percentile(stats, 99)
            result[f"average_{suffix}"] = sum(stats) / len(stats)
        else:
            result[f"p50_{suffix}"] = result[f"p99_{suffix}"] = result[f"average_{suffix}"] = None

    def get_statistics(self) -> dict[str, float | None]:
        result: dict[str, float | None] = {}
        self._add_statistics(result, list(self.response_times), "latency")
        self._add_statistics(result, list(self.first_token_latencies), "latency_first_token")
        return result


statistics_dict: dict[str, BaseStatistics] = {}


def register_statistics(names: Iterable[str]) -> Callable[[F], F]:
    """Decorator: a fresh ``BaseStatistics`` for each name; the function is returned unchanged."""

    def decorator(func: F) -> F:
        for name in names:
            statistics_dict[name] = BaseStatistics()
        return func

    return decorator


def collect_all_statistics() -> dict[str, dict[str, float | None]]:
    return {name: stats.get_statistics() for name, stats in statistics_dict.items()}
