"""The autoscaler with the Docker runtime (real engine): a model scaled from zero by a
request, back to zero when idle (drained, container removed); a replica launched by hand is
never removed by it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import docker
import httpx
import pytest

from tests.support.processes import wait_until

from .gateway_proc import AUTH, FEATURES, docker_gateway
from .support import MANAGED, STACK, DockerStack, docker_stack

pytestmark = pytest.mark.docker

MODEL = "LinearRegression"
POLICY = {
    "min_replicas": 0,
    "max_replicas": 2,
    "target_in_flight": 2,
    "stable_window_s": 2,
    "panic_window_s": 1,
    "scale_down_delay_s": 1,
    "scale_to_zero_after_s": 2,
}


@pytest.fixture(scope="module")
def gateway(docker_client: docker.DockerClient) -> Iterator[tuple[DockerStack, str]]:
    with docker_stack(docker_client, "autoscale") as stack:
        with docker_gateway(
            stack,
            GATEWAY_KV_PREFIX=f"{stack.name}-{uuid.uuid4().hex[:6]}/",
            GATEWAY_LEADER_ELECTION="false",  # one gateway (and the agent image may predate sessions)
            AUTOSCALER_TICK="0.5",
            AUTOSCALER_PUBLISH_INTERVAL="0.5",
            AUTOSCALER_HOLD_TIMEOUT="90",
        ) as url:
            yield stack, url


def _containers(client: docker.DockerClient, stack: DockerStack) -> list[str]:
    found = client.containers.list(
        filters={"label": [f"{MANAGED}=true", f"{STACK}={stack.name}", f"io.consul-gateway.model={MODEL}"]}
    )
    return sorted(c.name for c in found)


def _status(url: str) -> dict[str, object]:
    resp = httpx.get(f"{url}/api/models/{MODEL}/autoscaling", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["status"] or {}


def test_docker_scale_from_zero_back_to_zero_and_own_replicas_only(
    docker_client: docker.DockerClient, gateway: tuple[DockerStack, str]
) -> None:
    stack, url = gateway
    policy_url = f"{url}/api/models/{MODEL}/autoscaling"
    put = httpx.put(policy_url, json=POLICY, headers=AUTH, timeout=10)
    assert put.status_code == 200 and put.json()["runtime"] == "docker", put.text
    assert _containers(docker_client, stack) == []

    # The first request waits while a container is launched, then is served by it.
    resp = httpx.post(f"{url}/api/predict/gdp_growth_rate", json={**FEATURES, "model": MODEL}, timeout=120)
    assert resp.status_code == 200, resp.text
    [name] = _containers(docker_client, stack)
    assert _status(url)["launched"] and _status(url)["last_decision"]["reason"] == "from_zero"  # type: ignore[index]

    # Idle: drained and removed (the container is gone), back to zero.
    wait_until(lambda: _containers(docker_client, stack) == [], timeout=60, interval=0.5, what="back to 0")
    assert _status(url)["last_decision"]["reason"] == "to_zero"  # type: ignore[index]

    # A replica launched by hand (not by the autoscaler) stays, although the policy wants 0.
    launched = httpx.post(f"{url}/api/models/launch/{MODEL}", headers=AUTH, timeout=90)
    assert launched.status_code == 200, launched.text
    time.sleep(POLICY["stable_window_s"] + POLICY["scale_to_zero_after_s"] + 3)
    assert _containers(docker_client, stack) == [launched.json()["container_name"]]
    status = _status(url)
    assert status["desired_replicas"] == 0 and "never removed" in str(status["note"])
    assert httpx.delete(policy_url, headers=AUTH, timeout=10).status_code == 200
