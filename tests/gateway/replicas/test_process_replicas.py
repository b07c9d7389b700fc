"""The process runtime (``make run``, no Docker): the same REST behaviour as the Docker one,
with real processes: a dev agent, the gateway, and ``python -m model_service`` replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from servicekit.contracts import GDP_EXAMPLE
from tests.support.processes import (
    ServiceProcess,
    dev_agent,
    free_port,
    replica_gateway,
    wait_until,
)

TOKEN = "process-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FEATURES = dict(GDP_EXAMPLE)


def _gateway(consul: str, **overrides: str) -> ServiceProcess:
    return replica_gateway(
        consul, token=TOKEN, stack="proctest", name="gateway-process", REPLICA_MAX_PER_MODEL="2", **overrides
    )


@pytest.fixture(scope="module")
def agent() -> Iterator[str]:
    with dev_agent() as url:
        yield url


@pytest.fixture(scope="module")
def gateway(agent: str) -> Iterator[str]:
    with _gateway(agent) as proc:
        yield proc.url  # type: ignore[attr-defined]


def _agent_ids(agent: str) -> set[str]:
    entries = httpx.get(f"{agent}/v1/health/service/gdp-growth-model?passing=true", timeout=5).json()
    return {e["Service"]["ID"] for e in entries}


def test_launch_serves_then_delete(agent: str, gateway: str) -> None:
    resp = httpx.post(f"{gateway}/api/models/launch/RandomForest", headers=AUTH, timeout=90)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success" and body["container_id"].startswith("proc-")
    assert body["container_name"].startswith("proctest-gdp-randomforest-")
    assert body["container_name"] in _agent_ids(agent)  # passing before the answer

    pred = httpx.post(f"{gateway}/api/predict/gdp_growth_rate", json=FEATURES, timeout=30)
    assert pred.status_code == 200 and pred.json()["model"] == "RandomForest"

    [inst] = httpx.get(f"{gateway}/api/models/instances/RandomForest", timeout=10).json()["instances"]
    assert inst["id"] == body["container_id"] and inst["health"] == "passing"
    assert inst["address"].startswith("127.0.0.1:")

    gone = httpx.delete(f"{gateway}/api/models/instances/{body['container_id']}", headers=AUTH, timeout=30)
    assert gone.status_code == 200, gone.text
    # SIGTERM: the replica deregistered itself.
    wait_until(lambda: body["container_name"] not in _agent_ids(agent), timeout=10, what="deregistered")
    assert httpx.get(f"{gateway}/api/models/instances/RandomForest", timeout=10).json()["instances"] == []
    again = httpx.delete(f"{gateway}/api/models/instances/{body['container_id']}", headers=AUTH, timeout=10)
    assert again.status_code == 404


def test_scale_and_cap(agent: str, gateway: str) -> None:
    url = f"{gateway}/api/models/LinearRegression/replicas"
    too_many = httpx.put(url, json={"replicas": 3}, headers=AUTH, timeout=10)
    assert too_many.status_code == 409 and "REPLICA_MAX_PER_MODEL" in too_many.json()["detail"]

    up = httpx.put(url, json={"replicas": 2}, headers=AUTH, timeout=120)
    assert up.status_code == 200, up.text
    names = {i["name"] for i in up.json()["instances"]}
    assert len(names) == 2 and names <= _agent_ids(agent)
    # At the cap, one more launch is refused.
    over = httpx.post(f"{gateway}/api/models/launch/LinearRegression", headers=AUTH, timeout=10)
    assert over.status_code == 409

    down = httpx.put(url, json={"replicas": 0}, headers=AUTH, timeout=60)
    assert down.status_code == 200 and down.json()["instances"] == []
    wait_until(lambda: not (names & _agent_ids(agent)), timeout=10, what="scaled-down replicas deregistered")


def test_bad_input_and_token(gateway: str) -> None:
    launch = f"{gateway}/api/models/launch/LinearRegression"
    assert httpx.post(launch, timeout=10).status_code == 401
    assert httpx.post(launch, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    unknown = httpx.post(f"{gateway}/api/models/launch/Nope", headers=AUTH, timeout=10)
    assert unknown.status_code == 404 and "known models" in unknown.json()["detail"]
    assert httpx.get(f"{gateway}/api/models/instances/Nope", timeout=10).status_code == 404
    bad_name = httpx.post(f"{gateway}/api/models/launch/bad%20name", headers=AUTH, timeout=10)
    assert bad_name.status_code == 422
    body = httpx.put(
        f"{gateway}/api/models/LinearRegression/replicas", json={"replicas": "many"}, headers=AUTH, timeout=10
    )
    assert body.status_code == 422 and "replicas" in body.text
    missing = httpx.delete(f"{gateway}/api/models/instances/proc-000000000000", headers=AUTH, timeout=10)
    assert missing.status_code == 404


def test_management_disabled_without_token(agent: str) -> None:
    with _gateway(agent, GATEWAY_MANAGEMENT_TOKEN="") as proc:
        resp = httpx.post(f"{proc.url}/api/models/launch/LinearRegression", timeout=10)  # type: ignore[attr-defined]
        assert resp.status_code == 403 and "GATEWAY_MANAGEMENT_TOKEN" in resp.json()["detail"]


def test_launch_timeout_and_stop_ends_replicas(agent: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with _gateway(agent, REPLICA_CONSUL_ADDR=closed, REPLICA_LAUNCH_TIMEOUT="5") as proc:
        url = proc.url  # type: ignore[attr-defined]
        resp = httpx.post(f"{url}/api/models/launch/LinearRegression", headers=AUTH, timeout=60)
        assert resp.status_code == 504, resp.text
        assert "removed" in resp.json()["detail"]
        assert httpx.get(f"{url}/api/models/instances/LinearRegression", timeout=10).json()["instances"] == []


def test_gateway_stop_ends_its_replicas(agent: str) -> None:
    with _gateway(agent) as proc:
        url = proc.url  # type: ignore[attr-defined]
        resp = httpx.post(f"{url}/api/models/launch/LinearRegression", headers=AUTH, timeout=90)
        assert resp.status_code == 200, resp.text
        name = resp.json()["container_name"]
        assert name in _agent_ids(agent)
    # The gateway stopped (SIGTERM): its replica process got SIGTERM too and deregistered.
    wait_until(lambda: name not in _agent_ids(agent), timeout=15, what="replica ended with its gateway")


def test_replica_exiting_at_start_is_502_and_removed(agent: str, tmp_path: Path) -> None:
    # GDP_MODEL_DIR reaches the replica: an empty artifact folder makes it exit at start-up.
    with _gateway(agent, GDP_MODEL_DIR=str(tmp_path)) as proc:
        url = proc.url  # type: ignore[attr-defined]
        resp = httpx.post(f"{url}/api/models/launch/LinearRegression", headers=AUTH, timeout=60)
        assert resp.status_code == 502, resp.text
        assert "exited" in resp.json()["detail"] and "removed" in resp.json()["detail"]
        assert httpx.get(f"{url}/api/models/instances/LinearRegression", timeout=10).json()["instances"] == []
