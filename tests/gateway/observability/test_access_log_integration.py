"""JSON access log lines (buffered handler) carry the request id that went upstream."""

from __future__ import annotations

import json

import httpx

from tests.gateway.helpers import start_gateway, start_upstream, wait_ports
from tests.support.processes import wait_until


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
            out = []
            for line in gateway.output().splitlines():
                if line.startswith("{"):
                    doc = json.loads(line)
                    if doc.get("logger") == "gateway.access":
                        out.append(doc)
            return out

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
