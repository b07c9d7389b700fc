"""The seed's routes and the observability routes, against fake model instances (real processes)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.helpers import start_gateway, start_upstream, wait_ports, wait_started
from tests.support.processes import ServiceProcess

MODEL_SVC = "gdp-growth-model"
GOOD = {
    "gdp_per_capita": 50000,
    "unemployment_rate": 5.2,
    "gdp_growth_rate_lag": 2.1,
    "gdp_growth_rate_ma": 2.3,
}


@pytest.fixture(scope="module")
def models(module_consul_url: str) -> Iterator[tuple[str, dict[str, ServiceProcess]]]:
    procs = {
        "LassoRegression": start_upstream(
            module_consul_url,
            MODEL_SVC,
            model="LassoRegression",
            tags=["model", "model:LassoRegression"],
            wait=False,
        ),
        "RidgeRegression": start_upstream(
            module_consul_url,
            MODEL_SVC,
            model="RidgeRegression",
            meta={"model": "RidgeRegression"},
            wait=False,
        ),
    }
    gateway = None
    try:
        wait_started(list(procs.values()))
        gateway = start_gateway(module_consul_url)
        wait_ports(gateway.url, MODEL_SVC, {p.port for p in procs.values()})  # type: ignore[attr-defined]
        yield gateway.url, procs  # type: ignore[attr-defined]
    finally:
        if gateway is not None:
            gateway.stop()
        for p in procs.values():
            p.stop()


def hostport(p: ServiceProcess) -> str:
    return f"127.0.0.1:{p.port}"  # type: ignore[attr-defined]


def test_models_available_aggregates_every_instance(models, http: httpx.Client) -> None:
    gw, procs = models
    r = http.get(f"{gw}/api/models/available")
    assert r.status_code == 200
    doc = r.json()
    assert doc["models_by_service"] == {hostport(p): [name] for name, p in procs.items()}
    assert sorted(doc["services"]) == sorted(hostport(p) for p in procs.values())
    assert doc["errors"] == {}


def test_predict_services_keeps_seed_key(models, http: httpx.Client) -> None:
    gw, procs = models
    doc = http.get(f"{gw}/api/predict/services").json()
    expected = sorted(hostport(p) for p in procs.values())
    assert sorted(doc["Services:"]) == expected
    assert sorted(doc["services"]) == expected


def test_predict_forwards_and_returns_upstream_body(models, http: httpx.Client) -> None:
    gw, procs = models
    seen = set()
    for _ in range(20):
        r = http.post(f"{gw}/api/predict/gdp_growth_rate", json=GOOD)
        assert r.status_code == 200
        doc = r.json()
        assert doc["prediction"] == [1.5] and doc["input"] == GOOD
        seen.add(doc["model"])
    assert seen == set(procs)


@pytest.mark.parametrize("model", ["LassoRegression", "RidgeRegression"])
def test_predict_model_selects_by_tag_or_meta(models, http: httpx.Client, model: str) -> None:
    gw, procs = models
    for _ in range(6):
        r = http.post(f"{gw}/api/predict/gdp_growth_rate", json={**GOOD, "model": model})
        assert r.status_code == 200
        assert r.json()["model"] == model
        assert r.json()["port"] == procs[model].port  # type: ignore[attr-defined]


def test_predict_unknown_model_is_503_naming_service_and_model(models, http: httpx.Client) -> None:
    gw, _ = models
    r = http.post(f"{gw}/api/predict/gdp_growth_rate", json={**GOOD, "model": "XGBoost"})
    assert r.status_code == 503
    assert r.json()["service"] == MODEL_SVC and "XGBoost" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in GOOD.items() if k != "unemployment_rate"}, "unemployment_rate"),
        ({**GOOD, "gdp_per_capita": "50000"}, "gdp_per_capita"),
        ({**GOOD, "gdp_growth_rate_ma": None}, "gdp_growth_rate_ma"),
        ({**GOOD, "gdp_growth_rate_lag": True}, "gdp_growth_rate_lag"),
        ({**GOOD, "surprise": 1}, "surprise"),
        ({**GOOD, "model": "bad name!"}, "model"),
    ],
)
def test_predict_validation_names_the_field(models, http: httpx.Client, body: dict, field: str) -> None:
    gw, _ = models
    r = http.post(f"{gw}/api/predict/gdp_growth_rate", json=body)
    assert r.status_code == 422
    assert field in json.dumps(r.json()["detail"])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e400])
def test_predict_rejects_non_finite_numbers(models, http: httpx.Client, value: float) -> None:
    gw, _ = models
    raw = json.dumps({**GOOD, "gdp_per_capita": value})  # NaN/Infinity literals, as Python emits them
    r = http.post(
        f"{gw}/api/predict/gdp_growth_rate", content=raw, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert "gdp_per_capita" in json.dumps(r.json()["detail"])


def test_statistics_metrics_routes_dashboard_docs(models, http: httpx.Client) -> None:
    gw, _ = models
    http.post(f"{gw}/api/predict/gdp_growth_rate", json=GOOD)
    stats = http.get(f"{gw}/v1/statistics").json()
    route = stats["route"]["POST /api/predict/gdp_growth_rate"]
    assert route["count"] >= 1 and route["p50_ms"] is not None and route["p99_ms"] >= route["p50_ms"]
    assert stats["service"][MODEL_SVC]["count"] >= 1
    metrics = http.get(f"{gw}/metrics").text
    assert (
        'gateway_requests_total{route="/api/predict/gdp_growth_rate",service="gdp-growth-model",status="200"}'
        in metrics
    )
    assert "gateway_request_seconds_bucket" in metrics and "gateway_routing_table_instances 2.0" in metrics
    view = http.get(f"{gw}/api/routes").json()
    assert view["discovery"] == "ok" and view["default_balancer"] == "random"
    assert [s["name"] for s in view["services"]] == [MODEL_SVC]
    page = http.get(f"{gw}/dashboard")
    assert page.status_code == 200 and "dashboard/assets/dashboard.js" in page.text
    script = http.get(f"{gw}/dashboard/assets/dashboard.js")
    assert script.status_code == 200
    assert "api/routes" in script.text and "api/dashboard/history" in script.text
    assert http.get(f"{gw}/dashboard/assets/..%2Fdashboard.py").status_code == 404
    spec = http.get(f"{gw}/openapi.json").json()
    for path in (
        "/api/predict/gdp_growth_rate",
        "/api/models/available",
        "/api/predict/services",
        "/svc/{service}/{path}",
        "/api/routes",
        "/v1/statistics",
    ):
        assert path in spec["paths"], path
    assert "GDPGrowthRequest" in spec["components"]["schemas"]
    health = http.get(f"{gw}/v1/health_check").json()
    assert health["status"] == "ok" and health["Service Title"] == "gateway"
    r = http.get(f"{gw}/api/routes", headers={"X-Request-ID": "trace-me-1"})
    assert r.headers["x-request-id"] == "trace-me-1"
