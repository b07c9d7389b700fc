"""The HTTP API in-process: shapes from the seed, strict validation (422 naming the field)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from model_service import ModelSettings, create_app, load_model
from model_service.schemas import MAX_BATCH_ROWS
from model_service.settings import default_model_dir

VALID = {
    "gdp_per_capita": 50000,
    "unemployment_rate": 5.2,
    "gdp_growth_rate_lag": 2.1,
    "gdp_growth_rate_ma": 2.3,
}
PREDICT = "/api/predict/gdp_growth_rate"
BATCH = "/api/predict/gdp_growth_rate/batch"


def _settings(model: str = "LinearRegression") -> ModelSettings:
    return ModelSettings(service_register=False, gdp_model_name=model)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(_settings("RandomForest"))) as client:
        yield client


def _expected(rows: list[dict[str, float]], model: str = "RandomForest") -> list[float]:
    estimator = load_model(default_model_dir(), model).estimator
    X = np.array(
        [
            [r["gdp_per_capita"], r["unemployment_rate"], r["gdp_growth_rate_lag"], r["gdp_growth_rate_ma"]]
            for r in rows
        ]
    )
    return [float(v) for v in estimator.predict(X)]


def test_predict_shape_and_value(client: TestClient) -> None:
    resp = client.post(PREDICT, json=VALID)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"message", "input", "model", "prediction"}
    assert body["model"] == "RandomForest"
    assert body["input"] == {k: float(v) for k, v in VALID.items()}
    assert body["prediction"] == pytest.approx(_expected([VALID]), rel=1e-12)


def test_seed_predict_path_is_an_alias(client: TestClient) -> None:
    assert client.post("/api/predict/", json=VALID).json() == client.post(PREDICT, json=VALID).json()


def test_batch_matches_single_predictions(client: TestClient) -> None:
    rng = np.random.default_rng(1)
    rows = [
        {
            "gdp_per_capita": float(rng.uniform(15000, 45000)),
            "unemployment_rate": float(rng.uniform(3, 10)),
            "gdp_growth_rate_lag": float(rng.uniform(-8, 8)),
            "gdp_growth_rate_ma": float(rng.uniform(-4, 6)),
        }
        for _ in range(100)
    ]
    resp = client.post(BATCH, json={"rows": rows})
    assert resp.status_code == 200
    body = resp.json()
    assert body["model"] == "RandomForest" and body["count"] == 100
    assert body["predictions"] == pytest.approx(_expected(rows), rel=1e-12)
    assert client.post(PREDICT, json=rows[7]).json()["prediction"] == pytest.approx([body["predictions"][7]])


def _missing(field: str) -> dict[str, object]:
    return {k: v for k, v in VALID.items() if k != field}


CASES = [
    ("missing", _missing("gdp_growth_rate_ma"), "gdp_growth_rate_ma", "missing"),
    ("string", {**VALID, "gdp_per_capita": "50000"}, "gdp_per_capita", "float_type"),
    ("bool", {**VALID, "unemployment_rate": True}, "unemployment_rate", "float_type"),
    ("null", {**VALID, "gdp_growth_rate_lag": None}, "gdp_growth_rate_lag", "float_type"),
    ("zero per capita", {**VALID, "gdp_per_capita": 0}, "gdp_per_capita", "greater_than"),
    ("huge per capita", {**VALID, "gdp_per_capita": 5e6}, "gdp_per_capita", "less_than_equal"),
    (
        "negative unemployment",
        {**VALID, "unemployment_rate": -0.1},
        "unemployment_rate",
        "greater_than_equal",
    ),
    ("unemployment > 100", {**VALID, "unemployment_rate": 100.5}, "unemployment_rate", "less_than_equal"),
    ("lag < -100", {**VALID, "gdp_growth_rate_lag": -101}, "gdp_growth_rate_lag", "greater_than_equal"),
    ("ma > 100", {**VALID, "gdp_growth_rate_ma": 250}, "gdp_growth_rate_ma", "less_than_equal"),
    ("extra field", {**VALID, "inflation": 2.0}, "inflation", "extra_forbidden"),
]


@pytest.mark.parametrize(("case", "body", "field", "error_type"), CASES, ids=[c[0] for c in CASES])
def test_invalid_input_is_422_naming_the_field(client: TestClient, case, body, field, error_type) -> None:
    resp = client.post(PREDICT, json=body)
    assert resp.status_code == 422, resp.text
    errors = resp.json()["detail"]
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", field], error_type)]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422_not_500(client: TestClient, token: str) -> None:
    raw = json.dumps(VALID).replace("2.1", token).encode()
    resp = client.post(PREDICT, content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert [(e["loc"], e["type"]) for e in resp.json()["detail"]] == [
        (["body", "gdp_growth_rate_lag"], "finite_number")
    ]


def test_batch_too_large_is_422_naming_rows(client: TestClient) -> None:
    resp = client.post(BATCH, json={"rows": [VALID] * (MAX_BATCH_ROWS + 1)})
    assert resp.status_code == 422
    assert [(e["loc"], e["type"]) for e in resp.json()["detail"]] == [(["body", "rows"], "too_long")]
    assert client.post(BATCH, json={"rows": [VALID] * MAX_BATCH_ROWS}).status_code == 200


def test_batch_errors_name_the_row_and_field(client: TestClient) -> None:
    assert client.post(BATCH, json={"rows": []}).json()["detail"][0]["loc"] == ["body", "rows"]
    resp = client.post(BATCH, json={"rows": [VALID, {**VALID, "unemployment_rate": "high"}]})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "rows", 1, "unemployment_rate"]
    assert client.post(BATCH, json={"rows": [VALID], "extra": 1}).json()["detail"][0]["loc"] == [
        "body",
        "extra",
    ]


def test_models_endpoint_lists_metadata_and_metrics(client: TestClient) -> None:
    body = client.get("/api/models").json()
    assert body["service"] == "gdp-growth-model"
    [model] = body["models"]
    assert model["name"] == "RandomForest" and model["estimator"] == "RandomForestRegressor"
    assert model["aliases"] == ["RandomForestRegressor"]
    assert set(model["test_metrics"]) == {"rmse", "mae", "r2"}
    assert model["baseline_metrics"]["rmse"] > 0
    assert model["test"]["first"] == "2000Q1"
    assert client.get("/api/status/available_models").json() == {"models": ["RandomForest"]}


def test_health_reports_the_model(client: TestClient) -> None:
    resp = client.get("/health")
    assert (resp.status_code, resp.json()) == (200, {"status": "ok", "model": "RandomForest"})
    assert client.get("/ready").json() == {"status": "ok", "model": "RandomForest", "loaded": True}


def test_before_the_model_is_loaded_health_and_predict_are_503() -> None:
    # Without `with`, TestClient does not run the lifespan: the model is never loaded.
    client = TestClient(create_app(_settings("LinearRegression")))
    resp = client.get("/health")
    assert (resp.status_code, resp.json()) == (503, {"status": "starting", "model": "LinearRegression"})
    assert client.post(PREDICT, json=VALID).status_code == 503


@pytest.mark.parametrize("name", ["RandomForestRegressor", "randomforest"])
def test_alias_name_serves_and_reports_the_canonical_model(name: str) -> None:
    app = create_app(_settings(name))
    with TestClient(app) as client:
        assert client.post(PREDICT, json=VALID).json()["model"] == "RandomForest"
        assert client.get("/health").json()["model"] == "RandomForest"


def test_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (PREDICT, BATCH, "/api/models", "/api/status/available_models", "/health"):
        assert path in spec["paths"]
    schema = spec["components"]["schemas"]["GDPGrowthInput"]
    assert sorted(schema["required"]) == sorted(VALID)
    assert schema["additionalProperties"] is False
