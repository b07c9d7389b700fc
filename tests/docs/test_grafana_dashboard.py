"""docs/grafana/consul-gateway.json: valid JSON whose every query names a series the gateway
exports (core, autoscaler and flows metrics), so the dashboard cannot drift from /metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from gateway.autoscaler.metrics import AutoscalerMetrics
from gateway.observability.metrics import GatewayMetrics
from gateway.orchestrator.metrics import FlowMetrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "consul-gateway.json"


def _exported() -> set[str]:
    registry = CollectorRegistry(auto_describe=True)
    GatewayMetrics(registry).watch_table(lambda: (0.5, 1, 2, True))  # the table gauges
    AutoscalerMetrics(registry)
    FlowMetrics(registry)
    names: set[str] = set()
    for collector in registry.collect():
        for sample_suffix in ("", "_total", "_bucket", "_count", "_sum", "_created"):
            names.add(collector.name + sample_suffix)
    return names


def test_every_query_uses_exported_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exported = _exported()
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 15
    used = {name for e in exprs for name in re.findall(r"\b(gateway_[a-z_]+)\b", e)}
    assert used, exprs
    assert used - exported == set(), f"not exported: {sorted(used - exported)}"
    # every panel has a unique id and a grid position (Grafana refuses overlapping ids)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and all("gridPos" in p for p in dashboard["panels"])
