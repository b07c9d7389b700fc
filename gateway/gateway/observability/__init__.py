"""Observability: statistics store, Prometheus metrics, access logs and request ids."""

from __future__ import annotations

from .metrics import GatewayMetrics
from .stats import KeyStats, StatisticsStore

__all__ = ["GatewayMetrics", "KeyStats", "StatisticsStore"]
