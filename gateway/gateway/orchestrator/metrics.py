"""``FlowMetrics``: per-flow and per-node counters, latency and an in-flight gauge.

Prometheus series (in the registry given, normally the gateway's):
``gateway_flow_requests_total{flow,outcome}``, ``gateway_flow_seconds{flow}``,
``gateway_flow_in_flight{flow}``, ``gateway_flow_node_calls_total{flow,node,outcome}``,
``gateway_flow_node_seconds{flow,node}``, ``gateway_flow_streams_open{flow}``.
Statistics (``/v1/statistics``): kind ``flow`` keyed by flow name and kind ``flow_node``
keyed by ``flow/node``, with count, errors, p50/p99.

The in-flight gauge is decremented in the same ``finally`` that reports the outcome, so it
returns to zero after failures and cancellations too (OPEA's pending gauge drifts).
"""

from __future__ import annotations

from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["FlowMetrics", "StatsSink"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class StatsSink(Protocol):
    def observe(self, kind: str, key: str, seconds: float, error: bool = False) -> None: ...


class FlowMetrics:
    def __init__(self, registry: CollectorRegistry, stats: StatsSink | None = None) -> None:
        self.registry = registry
        self.stats = stats
        r = registry
        self.requests = Counter("gateway_flow_requests", "Flow runs", ["flow", "outcome"], registry=r)
        self.seconds = Histogram(
            "gateway_flow_seconds", "Flow run latency", ["flow"], buckets=_BUCKETS, registry=r
        )
        self.in_flight = Gauge("gateway_flow_in_flight", "Flow runs in progress", ["flow"], registry=r)
        self.node_calls = Counter(
            "gateway_flow_node_calls", "Node executions", ["flow", "node", "outcome"], registry=r
        )
        self.node_seconds = Histogram(
            "gateway_flow_node_seconds",
            "Node latency (all attempts)",
            ["flow", "node"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.streams_open = Gauge(
            "gateway_flow_streams_open", "Node streams being relayed", ["flow"], registry=r
        )
        # OPEA's megaservice_first_token_latency / megaservice_inter_token_latency, per flow.
        self.first_token_seconds = Histogram(
            "gateway_flow_first_token_seconds",
            "Time to the first streamed chunk",
            ["flow"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.inter_token_seconds = Histogram(
            "gateway_flow_inter_token_seconds",
            "Time between streamed chunks",
            ["flow"],
            buckets=_BUCKETS,
            registry=r,
        )

    def flow_started(self, flow: str) -> None:
        self.in_flight.labels(flow).inc()

    def flow_finished(self, flow: str, ok: bool, seconds: float) -> None:
        self.in_flight.labels(flow).dec()
        self.requests.labels(flow, "ok" if ok else "error").inc()
        self.seconds.labels(flow).observe(seconds)
        if self.stats is not None:
            self.stats.observe("flow", flow, seconds, not ok)

    def node_finished(self, flow: str, node: str, ok: bool, seconds: float) -> None:
        self.node_calls.labels(flow, node, "ok" if ok else "error").inc()
        self.node_seconds.labels(flow, node).observe(seconds)
        if self.stats is not None:
            self.stats.observe("flow_node", f"{flow}/{node}", seconds, not ok)

    def stream_opened(self, flow: str, node: str) -> None:
        self.streams_open.labels(flow).inc()

    def stream_closed(self, flow: str, node: str, ok: bool, seconds: float) -> None:
        self.streams_open.labels(flow).dec()
        if self.stats is not None:
            self.stats.observe("flow_stream", f"{flow}/{node}", seconds, not ok)

    def stream_token(self, flow: str, first: bool, seconds: float) -> None:
        (self.first_token_seconds if first else self.inter_token_seconds).labels(flow).observe(seconds)

    def in_flight_value(self, flow: str) -> float:
        value = self.registry.get_sample_value("gateway_flow_in_flight", {"flow": flow})
        return value or 0.0
