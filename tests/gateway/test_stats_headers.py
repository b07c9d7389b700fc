"""Statistics store, proxy header rules, request ids, settings validation (unit tests)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.observability import StatisticsStore
from gateway.observability.access import incoming_request_id, new_request_id
from gateway.proxy import forward_request_headers, forward_response_headers
from gateway.settings import GatewaySettings


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


def test_request_headers_forwarding_rules() -> None:
    headers = [
        (b"host", b"gw:8000"),
        (b"connection", b"keep-alive, x-secret"),
        (b"x-secret", b"s"),
        (b"keep-alive", b"timeout=5"),
        (b"transfer-encoding", b"chunked"),
        (b"te", b"trailers"),
        (b"expect", b"100-continue"),
        (b"x-forwarded-for", b"1.1.1.1"),
        (b"x-request-id", b"client-id"),
        (b"authorization", b"Bearer t"),
        (b"content-type", b"application/json"),
    ]
    out = dict(forward_request_headers(headers, client_ip="10.0.0.2", scheme="https", request_id="rid-1"))
    assert out == {
        b"authorization": b"Bearer t",
        b"content-type": b"application/json",
        b"x-forwarded-for": b"1.1.1.1, 10.0.0.2",
        b"x-forwarded-proto": b"https",
        b"x-forwarded-host": b"gw:8000",
        b"x-request-id": b"rid-1",
    }


def test_response_headers_forwarding_rules() -> None:
    out, length = forward_response_headers(
        [
            (b"Content-Type", b"text/plain"),
            (b"Content-Length", b"12"),
            (b"Connection", b"close, X-Hop"),
            (b"X-Hop", b"1"),
            (b"Date", b"yesterday"),
            (b"Set-Cookie", b"a=1"),
            (b"Set-Cookie", b"b=2"),
        ]
    )
    assert out == [
        (b"content-type", b"text/plain"),
        (b"content-length", b"12"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]
    assert length == 12


def test_request_ids() -> None:
    a, b = new_request_id(), new_request_id()
    assert a != b and len(a) >= 16
    assert incoming_request_id([(b"x-request-id", b"abc-123")]) == "abc-123"
    assert incoming_request_id([(b"x-request-id", b"bad\x01id")]) is None
    assert incoming_request_id([(b"x-request-id", b"x" * 200)]) is None
    assert incoming_request_id([]) is None


def test_settings_validation_and_exclusions(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="unknown balancer"):
        GatewaySettings(gateway_balancer="fastest")
    with pytest.raises(ValidationError):
        GatewaySettings(eject_max_share=2)
    monkeypatch.setenv("DISCOVERY_EXCLUDE", "legacy, internal")
    s = GatewaySettings()
    assert s.excluded_services() == {"consul", "gateway", "legacy", "internal"}
    assert GatewaySettings(gateway_route_to_self=True).excluded_services() == {"consul", "legacy", "internal"}
