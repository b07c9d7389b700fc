"""The restricted Docker proxy against the real engine: the gateway's replica management
works through it; anything else (other images, privileges, other containers) is refused."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import httpx
import pytest
from docker.errors import APIError

from tests.support.processes import ServiceProcess, free_port, python_module

from .gateway_proc import AUTH, docker_gateway, predict
from .support import MANAGED, MODEL_IMAGE, STACK, DockerStack, docker_stack

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def stack(docker_client: docker.DockerClient) -> Iterator[DockerStack]:
    with docker_stack(docker_client, "proxy") as s:
        yield s


@pytest.fixture(scope="module")
def proxy(stack: DockerStack) -> Iterator[str]:
    port = free_port()
    env = {
        "PROXY_STACK": stack.name,
        "PROXY_IMAGES": MODEL_IMAGE,
        "PROXY_NETWORK": stack.network,
        "PROXY_HOST": "127.0.0.1",
        "PROXY_PORT": str(port),
    }
    with ServiceProcess(
        python_module("gateway.replicas.sockproxy"),
        env=env,
        name="sockproxy",
        ready_url=f"http://127.0.0.1:{port}/_ping",
        ready_timeout=30,
    ):
        yield f"tcp://127.0.0.1:{port}"


def test_gateway_manages_replicas_through_the_proxy(stack: DockerStack, proxy: str) -> None:
    with docker_gateway(stack, DOCKER_HOST=proxy) as gw:
        launched = httpx.post(f"{gw}/api/models/launch/LinearRegression", headers=AUTH, timeout=90)
        assert launched.status_code == 200, launched.text
        assert predict(gw).json()["model"] == "LinearRegression"
        cid = launched.json()["container_id"]
        assert httpx.delete(f"{gw}/api/models/instances/{cid}", headers=AUTH, timeout=60).status_code == 200


def test_proxy_refuses_everything_else(
    docker_client: docker.DockerClient, stack: DockerStack, proxy: str
) -> None:
    client = docker.DockerClient(base_url=proxy, timeout=30)
    try:
        labels = {MANAGED: "true", STACK: stack.name, "io.consul-gateway.role": "replica"}
        for kwargs in (
            {"image": "local/bookworm-py:base", "labels": labels},  # not the replica image
            {"image": MODEL_IMAGE, "labels": {}},  # not labelled as this stack's replica
            {"image": MODEL_IMAGE, "labels": labels, "privileged": True},
            {"image": MODEL_IMAGE, "labels": labels, "volumes": {"/": {"bind": "/host", "mode": "ro"}}},
        ):
            with pytest.raises(APIError) as err:
                client.containers.create(network=stack.network, **kwargs)  # type: ignore[arg-type]
            assert err.value.status_code == 403
        # The agent container is not a replica: stop/remove are refused and it keeps running.
        agent = client.containers.get(stack.agent_id)  # reads are allowed
        with pytest.raises(APIError) as err:
            agent.stop(timeout=1)
        assert err.value.status_code == 403
        with pytest.raises(APIError):
            agent.remove(force=True)
        with pytest.raises(APIError) as err:
            client.images.pull("alpine")
        assert err.value.status_code == 403
        assert docker_client.containers.get(stack.agent_id).status == "running"
    finally:
        client.close()
