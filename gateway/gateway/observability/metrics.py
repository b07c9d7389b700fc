"""Prometheus metrics of one gateway, in its own registry (several apps can share a process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["GatewayMetrics"]

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _TableCollector(Collector):
    def __init__(self, read: Callable[[], tuple[float, int, int, bool]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age, services, instances, healthy = self._read()
        yield GaugeMetricFamily(
            "gateway_routing_table_age_seconds",
            "Seconds the routing table may be stale (0 = in sync)",
            value=age,
        )
        yield GaugeMetricFamily(
            "gateway_routing_table_services", "Services in the routing table", value=services
        )
        yield GaugeMetricFamily(
            "gateway_routing_table_instances", "Instances in the routing table", value=instances
        )
        yield GaugeMetricFamily("gateway_discovery_healthy", "1 when Consul is reachable", value=int(healthy))


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "gateway_requests", "Requests answered by the gateway", ["route", "service", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "gateway_request_seconds", "Gateway request latency", ["route"], buckets=_BUCKETS, registry=r
        )
        self.upstream_seconds = Histogram(
            "gateway_upstream_seconds", "Upstream call latency", ["service"], buckets=_BUCKETS, registry=r
        )
        self.upstream_errors = Counter(
            "gateway_upstream_errors", "Upstream calls that failed", ["service", "kind"], registry=r
        )
        self.retries = Counter("gateway_retries", "Retries on another instance", ["service"], registry=r)
        self.ejections = Counter(
            "gateway_ejections", "Passive ejections of instances", ["service"], registry=r
        )

    def watch_table(self, read: Callable[[], tuple[float, int, int, bool]]) -> None:
        """Export table age/size gauges, read at scrape time."""
        self.registry.register(_TableCollector(read))
