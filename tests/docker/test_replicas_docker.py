"""Docker runtime against the real engine: a dev agent container on a user-defined network,
the gateway on the host reaching replicas by container IP (as documented for this machine)."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import httpx
import pytest
from docker.errors import NotFound

from tests.support.processes import wait_until

from .gateway_proc import AUTH, docker_gateway, passing_ids, predict
from .support import MANAGED, MODEL_IMAGE, STACK, DockerStack, docker_stack

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def stack(docker_client: docker.DockerClient) -> Iterator[DockerStack]:
    with docker_stack(docker_client, "replicas") as s:
        yield s


@pytest.fixture(scope="module")
def gateway(stack: DockerStack) -> Iterator[str]:
    with docker_gateway(stack) as url:
        yield url


def _managed(client: docker.DockerClient, stack: DockerStack) -> list[str]:
    found = client.containers.list(
        all=True,
        filters={"label": [f"{MANAGED}=true", f"{STACK}={stack.name}", "io.consul-gateway.role=replica"]},
    )
    return sorted(c.name for c in found)


def test_launch_serves_traffic_then_delete_removes_everywhere(
    docker_client: docker.DockerClient, stack: DockerStack, gateway: str
) -> None:
    resp = httpx.post(f"{gateway}/api/models/launch/RandomForest", headers=AUTH, timeout=90)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success"
    cid, name = body["container_id"], body["container_name"]
    assert name.startswith(f"{stack.name}-gdp-randomforest-")

    container = docker_client.containers.get(cid)
    labels = container.labels
    assert labels[MANAGED] == "true" and labels[STACK] == stack.name
    assert labels["io.consul-gateway.model"] == "RandomForest"
    assert container.attrs["HostConfig"]["RestartPolicy"]["Name"] == "on-failure"
    assert container.attrs["HostConfig"]["NanoCpus"] > 0 and container.attrs["HostConfig"]["Memory"] > 0
    assert stack.network in container.attrs["NetworkSettings"]["Networks"]
    # Answered only once passing in the agent: the replica's Consul id is its name.
    assert name in passing_ids(stack)

    pred = predict(gateway)
    assert pred.status_code == 200, pred.text
    assert pred.json()["model"] == "RandomForest"  # the only replica: it served the request

    listing = httpx.get(f"{gateway}/api/models/instances/RandomForest", timeout=10).json()
    assert listing["model"] == "RandomForest"
    [inst] = listing["instances"]
    assert inst["id"] == cid and inst["health"] == "passing" and inst["status"] == "running"
    assert inst["image"].startswith("consul-gateway/model-service")

    gone = httpx.delete(f"{gateway}/api/models/instances/{cid}", headers=AUTH, timeout=60)
    assert gone.status_code == 200, gone.text
    with pytest.raises(NotFound):
        docker_client.containers.get(cid)
    wait_until(
        lambda: name not in {str(e["Service"]["ID"]) for e in _agent_entries(stack)},
        timeout=10,
        what="replica deregistered from the agent",
    )
    assert httpx.get(f"{gateway}/api/models/instances/RandomForest", timeout=10).json()["instances"] == []


def _agent_entries(stack: DockerStack) -> list[dict[str, dict[str, object]]]:
    return list(httpx.get(f"{stack.agent_url_host}/v1/health/service/gdp-growth-model", timeout=5).json())


def test_delete_of_unmanaged_container_is_404_and_leaves_it_running(
    docker_client: docker.DockerClient, stack: DockerStack, gateway: str
) -> None:
    for target in (stack.agent_id, stack.agent_id[:12], stack.agent_name, "does-not-exist", "a" * 64):
        resp = httpx.delete(f"{gateway}/api/models/instances/{target}", headers=AUTH, timeout=30)
        assert resp.status_code == 404, (target, resp.text)
        assert "managed by this gateway" in resp.json()["detail"]
    agent = docker_client.containers.get(stack.agent_id)
    assert agent.status == "running"


def test_token_unknown_model_and_cap(stack: DockerStack, gateway: str) -> None:
    launch = f"{gateway}/api/models/launch/LinearRegression"
    assert httpx.post(launch, timeout=10).status_code == 401
    assert httpx.post(launch, headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
    assert httpx.delete(f"{gateway}/api/models/instances/x", timeout=10).status_code == 401
    assert (
        httpx.put(
            f"{gateway}/api/models/LinearRegression/replicas", json={"replicas": 1}, timeout=10
        ).status_code
        == 401
    )

    unknown = httpx.post(f"{gateway}/api/models/launch/NoSuchModel", headers=AUTH, timeout=10)
    assert unknown.status_code == 404 and "LinearRegression" in unknown.json()["detail"]
    assert httpx.get(f"{gateway}/api/models/instances/NoSuchModel", timeout=10).status_code == 404

    too_many = httpx.put(
        f"{gateway}/api/models/LinearRegression/replicas", json={"replicas": 4}, headers=AUTH, timeout=10
    )
    assert too_many.status_code == 409 and "REPLICA_MAX_PER_MODEL" in too_many.json()["detail"]
    bad = httpx.put(
        f"{gateway}/api/models/LinearRegression/replicas", json={"replicas": -1}, headers=AUTH, timeout=10
    )
    assert bad.status_code == 422 and "replicas" in bad.text


def test_scale_up_and_down(docker_client: docker.DockerClient, stack: DockerStack, gateway: str) -> None:
    url = f"{gateway}/api/models/LinearRegression/replicas"
    up = httpx.put(url, json={"replicas": 2}, headers=AUTH, timeout=120)
    assert up.status_code == 200, up.text
    insts = up.json()["instances"]
    assert len(insts) == 2 and all(i["health"] == "passing" for i in insts)
    assert len([n for n in _managed(docker_client, stack) if "-gdp-linearregression-" in n]) == 2
    assert {i["name"] for i in insts} <= passing_ids(stack)

    down = httpx.put(url, json={"replicas": 1}, headers=AUTH, timeout=60)
    assert down.status_code == 200, down.text
    [kept] = down.json()["instances"]
    assert kept["name"] in {i["name"] for i in insts}
    assert [n for n in _managed(docker_client, stack) if "-gdp-linearregression-" in n] == [kept["name"]]

    zero = httpx.put(url, json={"replicas": 0}, headers=AUTH, timeout=60)
    assert zero.status_code == 200 and zero.json()["instances"] == []
    assert _managed(docker_client, stack) == []


def test_launch_timeout_removes_the_replica(docker_client: docker.DockerClient, stack: DockerStack) -> None:
    # Replicas told to register with an agent that does not exist never become passing.
    with docker_gateway(
        stack, REPLICA_CONSUL_ADDR="http://nowhere.invalid:8500", REPLICA_LAUNCH_TIMEOUT="6"
    ) as gw:
        resp = httpx.post(f"{gw}/api/models/launch/LinearRegression", headers=AUTH, timeout=60)
        assert resp.status_code == 504, resp.text
        detail = resp.json()["detail"]
        assert "removed" in detail
        assert "not serving within 6s" in detail
        assert _managed(docker_client, stack) == []


def test_missing_image_is_a_clear_error(docker_client: docker.DockerClient, stack: DockerStack) -> None:
    with docker_gateway(stack, REPLICA_IMAGE="consul-gateway/no-such-image:none") as gw:
        resp = httpx.post(f"{gw}/api/models/launch/LinearRegression", headers=AUTH, timeout=30)
        assert resp.status_code == 503, resp.text
        assert "consul-gateway/no-such-image:none" in resp.json()["detail"]
        assert "not found" in resp.json()["detail"]
        assert _managed(docker_client, stack) == []


def test_janitor_removes_managed_replicas_that_never_pass(
    docker_client: docker.DockerClient, stack: DockerStack
) -> None:
    # A leftover "replica" of this stack (e.g. from a crashed gateway) that can never register.
    labels = {
        MANAGED: "true",
        STACK: stack.name,
        "io.consul-gateway.role": "replica",
        "io.consul-gateway.model": "LinearRegression",
        "io.consul-gateway.port": "8101",
    }
    stuck = docker_client.containers.run(
        MODEL_IMAGE,
        detach=True,
        name=f"{stack.name}-gdp-stuck",
        labels=labels,
        network=stack.network,
        environment={"CONSUL_HTTP_ADDR": "http://nowhere.invalid:8500"},
    )
    # The janitor runs on the cluster's leader only, and the module's gateway leads the default
    # KV prefix: this gateway gets a prefix of its own, so it leads (and its janitor runs).
    with docker_gateway(stack, REPLICA_UNHEALTHY_GRACE="2", GATEWAY_KV_PREFIX=f"{stack.name}-janitor/") as gw:
        listing = httpx.get(f"{gw}/api/models/instances/LinearRegression", timeout=10).json()
        assert [i["name"] for i in listing["instances"]] == [stuck.name]
        assert listing["instances"][0]["health"] == "not_passing"

        def removed() -> bool:
            try:
                docker_client.containers.get(stuck.id)
            except NotFound:
                return True
            return False

        wait_until(removed, timeout=30, what="janitor removed the never-passing replica")
