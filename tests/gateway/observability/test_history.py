"""observability.history: rates between samples, replicas per model tag, a bounded ring."""

from __future__ import annotations

from gateway.discovery.instance import Instance
from gateway.discovery.table import RoutingTable
from gateway.observability.history import History, replicas_per_model
from gateway.observability.stats import StatisticsStore


def _table() -> RoutingTable:
    model = [
        Instance("gdp-growth-model", f"m{i}", "127.0.0.1", 9000 + i, tags=("model", f"model:{name}"))
        for i, name in enumerate(["LinearRegression", "LinearRegression", "RandomForest"])
    ]
    echo = (Instance("echo-service", "e1", "127.0.0.1", 9100, tags=("echo",)),)
    return RoutingTable.build({"gdp-growth-model": tuple(model), "echo-service": echo}, index=7)


def test_replicas_per_model_counts_model_tags() -> None:
    assert replicas_per_model(_table()) == {"LinearRegression": 2, "RandomForest": 1}


def test_rates_are_differences_between_samples() -> None:
    stats = StatisticsStore()
    history = History(stats, _table, interval=5, span=15)
    first = history.sample(now=100.0)
    assert first.services == {}  # no rate from a single sample
    for i in range(50):
        stats.observe("service", "echo-service", 0.002, error=i < 5)
    second = history.sample(now=105.0)
    assert second.services["echo-service"]["rps"] == 10.0
    assert second.services["echo-service"]["errors_per_s"] == 1.0
    assert second.services["echo-service"]["p50_ms"] == 2.0
    assert second.models == {"LinearRegression": 2, "RandomForest": 1}


def test_the_ring_is_bounded() -> None:
    history = History(StatisticsStore(), _table, interval=5, span=15)
    for t in range(10):
        history.sample(now=float(t * 5))
    body = history.to_dict()
    assert len(body["points"]) == 3 and body["points"][-1]["t"] == 45.0 and body["interval_s"] == 5


def test_desired_replicas_read_from_the_registry_by_name() -> None:
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    Gauge("gateway_autoscaler_desired_replicas", "d", ["model"], registry=registry).labels(
        "RandomForest"
    ).set(3)
    point = History(StatisticsStore(), _table, registry=registry).sample(now=1.0)
    assert point.desired == {"RandomForest": 3.0} and point.to_dict()["desired"] == {"RandomForest": 3.0}
