"""servicekit.health: status codes and bodies of the four health routes."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from servicekit import HealthReport, health_router


def _client(report: HealthReport) -> TestClient:
    app = FastAPI()
    app.include_router(
        health_router(
            title="svc",
            description="a service",
            readiness=lambda: report,
            liveness_info=lambda: {"model": "M"},
        )
    )
    return TestClient(app)


def test_ok_everywhere() -> None:
    client = _client(HealthReport("ok", {"table_age": 0.1}))
    assert client.get("/health").json() == {"status": "ok", "model": "M"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "table_age": 0.1}
    for path in ("/v1/health_check", "/v1/health"):
        body = client.get(path).json()
        assert body["Service Title"] == "svc" and body["Service Description"] == "a service"
        assert body["status"] == "ok"


def test_degraded_still_serves_but_says_so() -> None:
    client = _client(HealthReport("degraded", {"reason": "consul unreachable"}))
    assert client.get("/health").status_code == 200
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert client.get("/v1/health_check").json()["reason"] == "consul unreachable"


def test_starting_is_not_ready_and_fails_the_consul_check() -> None:
    client = _client(HealthReport("starting"))
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "starting"
    assert client.get("/ready").status_code == 503
    assert client.get("/v1/health_check").status_code == 503
