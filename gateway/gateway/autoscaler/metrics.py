"""The autoscaler's Prometheus series (labels bounded: models with a policy, fixed reasons)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["AutoscalerMetrics"]


class AutoscalerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.desired = Gauge(
            "gateway_autoscaler_desired_replicas",
            "Replicas the autoscaler wants for a model (set by the leader)",
            ["model"],
            registry=registry,
        )
        self.replicas = Gauge(
            "gateway_autoscaler_replicas",
            "Routed replicas of a model, launching ones included (set by the leader)",
            ["model"],
            registry=registry,
        )
        self.decisions = Counter(
            "gateway_autoscaler_decisions",
            "Scaling actions started, by direction and reason",
            ["model", "direction", "reason"],
            registry=registry,
        )
        self.held = Gauge(
            "gateway_autoscaler_held_requests",
            "Requests waiting for a replica of a model scaling from zero (this instance)",
            ["model"],
            registry=registry,
        )

    def forget(self, model: str) -> None:
        for gauge in (self.desired, self.replicas):
            try:
                gauge.remove(model)
            except KeyError:
                pass
