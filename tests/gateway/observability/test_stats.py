"""Statistics store and request ids (unit tests)."""

from __future__ import annotations

from gateway.observability import StatisticsStore
from gateway.observability.access_recorder import incoming_request_id, new_request_id


def test_statistics_quantiles_and_errors() -> None:
    stats = StatisticsStore(window=1000)
    for ms in range(1, 101):
        stats.observe("route", "GET /x", ms / 1000, error=ms > 95)
    s = stats.get("route", "GET /x")
    assert s is not None
    assert s["count"] == 100 and s["errors"] == 5 and s["error_rate"] == 0.05
    assert s["p50_ms"] == 50.0 and s["p99_ms"] == 99.0 and s["max_ms"] == 100.0
    stats.observe("flow", "f1", 0.5)  # extensions add their own kinds
    assert set(stats.snapshot()) == {"route", "flow"}
    assert stats.snapshot("flow")["flow"]["f1"]["count"] == 1
    assert stats.get("route", "nope") is None


def test_statistics_window_bounds_memory() -> None:
    stats = StatisticsStore(window=10)
    for i in range(1000):
        stats.observe("service", "s", float(i))
    s = stats.snapshot()["service"]["s"]
    assert s["count"] == 1000 and s["p50_ms"] >= 990_000  # quantiles over the last 10 only


def test_request_ids() -> None:
    a, b = new_request_id(), new_request_id()
    assert a != b and len(a) >= 16
    assert incoming_request_id([(b"x-request-id", b"abc-123")]) == "abc-123"
    assert incoming_request_id([(b"x-request-id", b"bad\x01id")]) is None
    assert incoming_request_id([(b"x-request-id", b"x" * 200)]) is None
    assert incoming_request_id([]) is None
