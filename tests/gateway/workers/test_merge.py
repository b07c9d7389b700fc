"""Merging the workers' Prometheus expositions and statistics (unit)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.observability import StatisticsStore
from gateway.workers import merge_metrics


def _worker(requests: int, in_flight: int, age: float, latencies: list[float]) -> bytes:
    r = CollectorRegistry()
    Counter("gateway_requests", "Requests", ["service"], registry=r).labels("web").inc(requests)
    Gauge("gateway_flow_in_flight", "In flight", registry=r).set(in_flight)
    Gauge("gateway_routing_table_age_seconds", "Age", registry=r).set(age)
    h = Histogram("gateway_request_seconds", "Latency", buckets=(0.1, 1.0), registry=r)
    for x in latencies:
        h.observe(x)
    return generate_latest(r)


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text.decode())
        for s in f.samples
    }


def test_counters_and_histograms_add_up_work_in_progress_adds_other_gauges_take_the_max() -> None:
    merged = _samples(merge_metrics([_worker(3, 1, 0.5, [0.05]), _worker(4, 2, 2.0, [0.5, 5.0])]))
    assert merged[("gateway_requests_total", (("service", "web"),))] == 7
    assert merged[("gateway_flow_in_flight", ())] == 3
    assert merged[("gateway_routing_table_age_seconds", ())] == 2.0
    assert merged[("gateway_request_seconds_count", ())] == 3
    assert merged[("gateway_request_seconds_bucket", (("le", "0.1"),))] == 1
    assert merged[("gateway_request_seconds_bucket", (("le", "1.0"),))] == 2
    assert merged[("gateway_request_seconds_bucket", (("le", "+Inf"),))] == 3
    created = [v for (name, _), v in merged.items() if name.endswith("_created")]
    assert created  # kept (the earliest), not summed into a nonsense time
    one = _samples(_worker(3, 1, 0.5, [0.05]))
    assert (
        merged[("gateway_requests_created", (("service", "web"),))]
        <= one[("gateway_requests_created", (("service", "web"),))]
    )


def test_statistics_of_workers_merge_counts_and_quantiles_over_all_samples() -> None:
    a, b = StatisticsStore(), StatisticsStore()
    for _ in range(9):
        a.observe("route", "GET /x", 0.010)
    b.observe("route", "GET /x", 1.0, error=True)
    b.observe("service", "web", 0.002)
    merged = StatisticsStore.merged([a.export(), b.export()])
    x = merged.get("route", "GET /x")
    assert x is not None
    assert x["count"] == 10 and x["errors"] == 1 and x["max_ms"] == 1000.0
    assert x["p50_ms"] == 10.0 and x["p99_ms"] == 1000.0
    assert merged.get("service", "web") is not None and merged.kinds() == ["route", "service"]
