"""JSON access log lines (buffered handler) carry the request id that went upstream."""

from __future__ import annotations

import json

import httpx

from tests.gateway.helpers import start_gateway, start_upstream, wait_ports
from tests.support.processes import ServiceProcess, wait_until


def _access_lines(gateway: ServiceProcess) -> list[dict[str, object]]:
    out = []
    for line in gateway.output().splitlines():
        if line.startswith("{"):
            doc = json.loads(line)
            if doc.get("logger") == "gateway.access":
                out.append(doc)
    return out


def test_access_log_json_lines_with_request_id(consul_url: str) -> None:
    up = start_upstream(consul_url, "logged")
    gateway = start_gateway(consul_url, log_level="info")
    try:
        wait_ports(gateway.url, "logged", {up.port})  # type: ignore[attr-defined]
        r = httpx.get(
            f"{gateway.url}/svc/logged/headers/x?a=1", headers={"X-Request-ID": "log-me-42"}, timeout=5
        )  # type: ignore[attr-defined]
        assert r.json()["headers"]["x-request-id"] == "log-me-42"
        httpx.get(f"{gateway.url}/api/routes", headers={"X-Request-ID": "log-me-43"}, timeout=5)  # type: ignore[attr-defined]

        def lines() -> list[dict[str, object]]:
            return _access_lines(gateway)

        wait_until(
            lambda: {"log-me-42", "log-me-43"} <= {d.get("request_id") for d in lines()},
            timeout=5,
            what="access log lines written",
        )
        proxied = next(d for d in lines() if d.get("request_id") == "log-me-42")
        assert proxied["status"] == 200 and proxied["service"] == "logged" and proxied["query"] == "a=1"
        assert proxied["route"] == "/svc/{service}/{path}" and proxied["attempts"] == 1
        assert proxied["level"] == "info" and isinstance(proxied["duration_ms"], float)
        routed = next(d for d in lines() if d.get("request_id") == "log-me-43")
        assert routed["route"] == "/api/routes"
    finally:
        gateway.stop()
        up.stop()


def test_access_log_filters_keep_only_matching_lines(consul_url: str) -> None:
    """ACCESS_LOG_STATUS=500-599 and ACCESS_LOG_MIN_DURATION=300ms: a 503 and a slow answer
    get lines, a quick 200 and a 404 none; /metrics counts all four."""
    up = start_upstream(consul_url, "filtered")
    gateway = start_gateway(
        consul_url, log_level="info", access_log_status="500-599", access_log_min_duration="300ms"
    )
    url: str = gateway.url  # type: ignore[attr-defined]
    try:
        wait_ports(url, "filtered", {up.port})  # type: ignore[attr-defined]
        for rid, path in (
            ("quick", "status/200"),
            ("missing", "status/404"),
            ("failed", "status/503"),
            ("slow", "sleep?s=0.4"),
        ):
            httpx.get(f"{url}/svc/filtered/{path}", headers={"X-Request-ID": f"filter-{rid}"}, timeout=5)
        wait_until(
            lambda: {"filter-failed", "filter-slow"} <= {d.get("request_id") for d in _access_lines(gateway)},
            timeout=5,
            what="the kept lines written",
        )
        logged = {d.get("request_id") for d in _access_lines(gateway)}
        assert "filter-quick" not in logged and "filter-missing" not in logged
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
        for status in ("200", "404", "503"):
            assert f'service="filtered",status="{status}"' in metrics
    finally:
        gateway.stop()
        up.stop()
