"""Agent telemetry in go-metrics' shape: what /v1/agent/metrics reports.

Consul's agent keeps go-metrics' in-memory sink (10 s intervals) and answers /v1/agent/metrics with
the current interval (``Timestamp``, ``Gauges``, ``Points``, ``Counters``, ``Samples``); with
``?format=prometheus`` it renders the Prometheus registry instead (cumulative).  Recorded here: a
``consul.client.api.<endpoint>`` counter and a ``consul.api.http`` sample (ms, labelled by method
and path) per request, and gauges read when asked (runtime and state sizes).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["AgentMetrics", "Aggregate"]

INTERVAL = 10.0  # go-metrics inmem sink interval Consul uses
Labels = tuple[tuple[str, str], ...]
_MAX_SERIES = 4096  # bound: paths are route patterns, but keep the maps finite whatever clients send


@dataclass
class Aggregate:
    count: int = 0
    total: float = 0.0
    sum_sq: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.sum_sq += value * value
        self.low = min(self.low, value)
        self.high = max(self.high, value)

    def to_json(self, name: str, labels: Labels, interval: float) -> dict[str, Any]:
        mean = self.total / self.count if self.count else 0.0
        var = self.sum_sq / self.count - mean * mean if self.count > 1 else 0.0
        return {
            "Name": name,
            "Count": self.count,
            "Rate": self.total / interval,
            "Sum": self.total,
            "Min": self.low if self.count else 0.0,
            "Max": self.high if self.count else 0.0,
            "Mean": mean,
            "Stddev": math.sqrt(max(var, 0.0)),
            "Labels": dict(labels),
        }


class AgentMetrics:
    def __init__(self) -> None:
        self._interval_start = self._bucket(time.time())
        self.counters: dict[tuple[str, Labels], Aggregate] = {}
        self.samples: dict[tuple[str, Labels], Aggregate] = {}
        self.total_counters: dict[tuple[str, Labels], Aggregate] = {}
        self.total_samples: dict[tuple[str, Labels], Aggregate] = {}

    @staticmethod
    def _bucket(now: float) -> float:
        return now - now % INTERVAL

    def _roll(self) -> None:
        start = self._bucket(time.time())
        if start != self._interval_start:
            self._interval_start = start
            self.counters.clear()
            self.samples.clear()

    @staticmethod
    def _add(table: dict[tuple[str, Labels], Aggregate], key: tuple[str, Labels], value: float) -> None:
        agg = table.get(key)
        if agg is None:
            if len(table) >= _MAX_SERIES:
                return
            agg = table[key] = Aggregate()
        agg.add(value)

    def incr(self, name: str, value: float = 1.0, labels: Labels = ()) -> None:
        self._roll()
        self._add(self.counters, (name, labels), value)
        self._add(self.total_counters, (name, labels), value)

    def sample(self, name: str, value: float, labels: Labels = ()) -> None:
        self._roll()
        self._add(self.samples, (name, labels), value)
        self._add(self.total_samples, (name, labels), value)

    def record_request(self, method: str, pattern: str, elapsed_ms: float) -> None:
        key = pattern.strip("/").replace("/", "_").replace("-", "_") or "root"
        self.incr("consul.client.api." + key.removeprefix("v1_"))
        self.sample("consul.api.http", elapsed_ms, (("method", method), ("path", key)))

    def snapshot(self, gauges: dict[str, float]) -> dict[str, Any]:
        self._roll()
        stamp = datetime.fromtimestamp(self._interval_start, UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
        return {
            "Timestamp": stamp,
            "Gauges": [{"Name": k, "Value": v, "Labels": {}} for k, v in sorted(gauges.items())],
            "Points": [],
            "Counters": [a.to_json(n, lb, INTERVAL) for (n, lb), a in sorted(self.counters.items())],
            "Samples": [a.to_json(n, lb, INTERVAL) for (n, lb), a in sorted(self.samples.items())],
        }

    def prometheus(self, gauges: dict[str, float]) -> str:
        lines: list[str] = []
        for name, value in sorted(gauges.items()):
            metric = _prom_name(name)
            lines += [f"# HELP {metric} {metric}", f"# TYPE {metric} gauge", f"{metric} {_num(value)}"]
        seen: set[str] = set()
        for (name, labels), agg in sorted(self.total_counters.items()):
            metric = _prom_name(name)
            if metric not in seen:
                seen.add(metric)
                lines += [f"# HELP {metric} {metric}", f"# TYPE {metric} counter"]
            lines.append(f"{metric}{_labels(labels)} {_num(agg.total)}")
        for (name, labels), agg in sorted(self.total_samples.items()):
            metric = _prom_name(name)
            if metric not in seen:
                seen.add(metric)
                lines += [f"# HELP {metric} {metric}", f"# TYPE {metric} summary"]
            lines.append(f"{metric}_sum{_labels(labels)} {_num(agg.total)}")
            lines.append(f"{metric}_count{_labels(labels)} {agg.count}")
        return "\n".join(lines) + "\n"


def _prom_name(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels
    )
    return "{" + inner + "}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
