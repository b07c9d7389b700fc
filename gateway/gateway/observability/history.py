"""The last 15 minutes of what the dashboard charts, sampled in the gateway (not in the page).

Every ``interval`` seconds one point: per service the request rate, error rate and latency
quantiles (from the ``service`` statistics), per model the number of routed replicas
(instances carrying a ``model:<name>`` tag) and, where an autoscaler publishes it in the
metrics registry, the replicas it wants (``gateway_autoscaler_desired_replicas``; read by
name, so the core needs no import of the feature). A bounded ring of points: memory stays flat,
and a page opened now still shows the last 15 minutes. Services come from the routing
table's statistics keys, which are bounded (unknown names are one ``unknown`` key).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from .stats import StatisticsStore

if TYPE_CHECKING:
    from ..discovery import RoutingTable

__all__ = ["History", "HistoryPoint"]

_MODEL_TAG = "model:"
DESIRED_METRIC = "gateway_autoscaler_desired_replicas"


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    t: float
    services: dict[str, dict[str, float | None]] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    desired: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3),
            "services": self.services,
            "models": self.models,
            "desired": self.desired,
        }


def replicas_per_model(table: RoutingTable) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in table.names():
        for inst in table.instances(name):
            for tag in inst.tags:
                if tag.startswith(_MODEL_TAG):
                    model = tag[len(_MODEL_TAG) :]
                    counts[model] = counts.get(model, 0) + 1
    return counts


class History:
    """A ring of ``span / interval`` points, filled by ``sample()`` (a task calls it)."""

    def __init__(
        self,
        stats: StatisticsStore,
        table: Callable[[], RoutingTable],
        *,
        interval: float = 5.0,
        span: float = 900.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.stats = stats
        self.table = table
        self.registry = registry
        self.interval = interval
        self.points: deque[HistoryPoint] = deque(maxlen=max(2, int(span / interval)))
        self._last: tuple[float, dict[str, tuple[int, int]]] | None = None
        self._task: asyncio.Task[None] | None = None

    def sample(self, now: float | None = None) -> HistoryPoint:
        now = time.time() if now is None else now
        snapshot = self.stats.snapshot("service").get("service", {})
        counts = {key: (int(v["count"]), int(v["errors"])) for key, v in snapshot.items()}
        services: dict[str, dict[str, float | None]] = {}
        if self._last is not None:
            then, before = self._last
            dt = max(now - then, 1e-6)
            for key, (count, errors) in counts.items():
                c0, e0 = before.get(key, (0, 0))
                services[key] = {
                    "rps": round((count - c0) / dt, 3),
                    "errors_per_s": round((errors - e0) / dt, 3),
                    "p50_ms": snapshot[key].get("p50_ms"),
                    "p99_ms": snapshot[key].get("p99_ms"),
                }
        self._last = (now, counts)
        point = HistoryPoint(now, services, replicas_per_model(self.table()), self._desired())
        self.points.append(point)
        return point

    def _desired(self) -> dict[str, float]:
        if self.registry is None:
            return {}
        return {
            sample.labels["model"]: sample.value
            for metric in self.registry.collect()
            if metric.name == DESIRED_METRIC
            for sample in metric.samples
            if "model" in sample.labels
        }

    def to_dict(self) -> dict[str, Any]:
        return {"interval_s": self.interval, "points": [p.to_dict() for p in self.points]}

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="dashboard-history")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
