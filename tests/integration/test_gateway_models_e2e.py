"""Issues #3/#4 end to end: gateway → two model replicas serving different models, chosen by ``model``.

Everything is real: the dev agent, two ``python -m model_service`` replicas, ``python -m gateway``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.helpers import start_gateway
from tests.support.consul import passing_instances
from tests.support.model_service import ModelServiceInstance, model_service_processes
from tests.support.processes import ServiceProcess, dev_agent, wait_until

ROW = {
    "gdp_per_capita": 42000.0,
    "unemployment_rate": 5.2,
    "gdp_growth_rate_lag": 2.1,
    "gdp_growth_rate_ma": 2.3,
}


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, list[ModelServiceInstance], ServiceProcess]]:
    with (
        dev_agent() as consul_url,
        model_service_processes(consul_url, ["LinearRegression", "RandomForest"]) as replicas,
    ):
        wait_until(
            lambda: len(passing_instances(consul_url, "gdp-growth-model")) == 2,
            30,
            what="both replicas passing",
        )
        gateway = start_gateway(consul_url)
        try:
            url = gateway.url  # type: ignore[attr-defined]
            wait_until(
                lambda: len(httpx.get(f"{url}/api/predict/services").json()["services"]) == 2,
                10,
                what="gateway routes to both replicas",
            )
            yield url, replicas, gateway
        finally:
            gateway.stop()


def test_model_selects_the_replica_serving_it(
    stack: tuple[str, list[ModelServiceInstance], ServiceProcess],
) -> None:
    url, _, _ = stack
    for model in ("LinearRegression", "RandomForest"):
        for _ in range(10):
            resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**ROW, "model": model})
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert body["model"] == model
            assert isinstance(body["prediction"], list) and len(body["prediction"]) == 1
            assert body["input"]["gdp_per_capita"] == ROW["gdp_per_capita"]


def test_without_model_both_replicas_serve(
    stack: tuple[str, list[ModelServiceInstance], ServiceProcess],
) -> None:
    url, _, _ = stack
    served = Counter(
        httpx.post(f"{url}/api/predict/gdp_growth_rate", json=ROW).json()["model"] for _ in range(40)
    )
    # random balancing over 2 replicas: P(one of them never chosen in 40) = 2 * 0.5**40
    assert set(served) == {"LinearRegression", "RandomForest"}, served


def test_the_two_models_really_differ(stack: tuple[str, list[ModelServiceInstance], ServiceProcess]) -> None:
    url, _, _ = stack
    predictions = {
        model: httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**ROW, "model": model}).json()[
            "prediction"
        ][0]
        for model in ("LinearRegression", "RandomForest")
    }
    assert predictions["LinearRegression"] != predictions["RandomForest"]


def test_unknown_model_is_an_error_not_a_silent_default(
    stack: tuple[str, list[ModelServiceInstance], ServiceProcess],
) -> None:
    url, _, _ = stack
    resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**ROW, "model": "NoSuchModel"})
    assert resp.status_code in (404, 503), resp.text
    assert "NoSuchModel" in resp.text


def test_gateway_validates_the_body_and_names_the_field(
    stack: tuple[str, list[ModelServiceInstance], ServiceProcess],
) -> None:
    url, _, _ = stack
    bad = dict(ROW)
    del bad["unemployment_rate"]
    resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json=bad)
    assert resp.status_code == 422
    assert "unemployment_rate" in resp.text
    resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**ROW, "gdp_growth_rate_ma": "fast"})
    assert resp.status_code == 422 and "gdp_growth_rate_ma" in resp.text
    # the same contract as the model service (servicekit.contracts): ranges are checked at the edge
    resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**ROW, "unemployment_rate": 150})
    assert resp.status_code == 422 and "unemployment_rate" in resp.text


def test_models_available_aggregates_both_replicas(
    stack: tuple[str, list[ModelServiceInstance], ServiceProcess],
) -> None:
    url, replicas, _ = stack
    body = httpx.get(f"{url}/api/models/available").json()
    assert sorted(body["services"]) == sorted(f"127.0.0.1:{r.port}" for r in replicas)
    by_service = body["models_by_service"]
    for replica in replicas:
        assert replica.model in by_service[f"127.0.0.1:{replica.port}"]


@pytest.mark.parametrize("alias", ["randomforest", "RandomForestRegressor"])
def test_model_aliases_route_to_the_canonical_model(
    stack: tuple[str, list[ModelServiceInstance], ServiceProcess], alias: str
) -> None:
    url, _, _ = stack
    resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**ROW, "model": alias})
    assert resp.status_code == 200, resp.text
    assert resp.json()["model"] == "RandomForest"
