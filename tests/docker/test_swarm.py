"""The whole stack on Docker Swarm (``scripts/swarm/deploy.sh``, what ``make up-swarm`` runs),
with the gateway's Swarm runtime: predictions through the stack's 2 model tasks, scale to 3
over REST (3 tasks passing in Consul and routed by both gateways), a task killed with
``docker kill`` under a prediction loop (Swarm replaces it, 0 failed predictions), scale to 1,
remove the last one, ``docker stack rm`` leaves nothing.

The engine becomes a single-node swarm if it is not in one, and leaves it at the end only if
this test initialised it (other tests may share the engine and its swarm)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import httpx
import pytest

from tests.support.processes import REPO_ROOT, free_port, wait_until

from .gateway_proc import FEATURES
from .support import new_stack_name, unavailable

pytestmark = pytest.mark.docker

TOKEN = "swarm-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MODEL = "LinearRegression"
NAMESPACE = "com.docker.stack.namespace"
DEPLOY = str(REPO_ROOT / "scripts" / "swarm" / "deploy.sh")


@dataclass
class SwarmStack:
    name: str
    env: dict[str, str]
    consul: str
    gateways: list[str] = field(default_factory=list)

    def deploy(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [DEPLOY, *args], cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def instances(self, gateway: str) -> list[dict[str, object]]:
        resp = httpx.get(f"{gateway}/api/models/instances/{MODEL}", timeout=30)
        resp.raise_for_status()
        return list(resp.json()["instances"])

    def passing(self, gateway: str) -> set[str]:
        """Names of the tasks ``gateway`` routes (empty while it cannot answer yet)."""
        try:
            return {str(i["name"]) for i in self.instances(gateway) if i["health"] == "passing"}
        except httpx.HTTPError:
            return set()

    def consul_passing(self) -> set[str]:
        resp = httpx.get(f"{self.consul}/v1/health/service/gdp-growth-model?passing", timeout=5)
        resp.raise_for_status()
        return {str(e["Service"]["ID"]) for e in resp.json()}

    def scale(self, replicas: int) -> httpx.Response:
        return httpx.put(
            f"{self.gateways[0]}/api/models/{MODEL}/replicas",
            json={"replicas": replicas},
            headers=AUTH,
            timeout=180,
        )


def _predict(gateway: str) -> httpx.Response:
    return httpx.post(f"{gateway}/api/predict/gdp_growth_rate", json=FEATURES, timeout=30)


@pytest.fixture(scope="module")
def swarm(docker_client: docker.DockerClient) -> Iterator[docker.DockerClient]:
    """The engine as a swarm manager; initialised here (and left at the end) only if needed."""
    state = docker_client.info().get("Swarm", {}).get("LocalNodeState")
    initialised = False
    if state == "inactive":
        try:
            docker_client.swarm.init()
        except docker.errors.APIError as exc:
            unavailable(f"docker swarm init failed: {exc}")
        initialised = True
    elif state != "active":
        unavailable(f"engine swarm state is {state!r}")
    yield docker_client
    if initialised and not docker_client.services.list():
        docker_client.swarm.leave(force=True)
        for net in docker_client.networks.list(names=["docker_gwbridge"]):
            try:  # `swarm leave` leaves it behind
                net.remove()
            except docker.errors.APIError:
                pass


@pytest.fixture(scope="module")
def stack(swarm: docker.DockerClient) -> Iterator[SwarmStack]:
    name = new_stack_name("swarm")
    consul_port = free_port()
    env = dict(os.environ)
    env.update(
        STACK_NAME=name,
        CONSUL_PORT=str(consul_port),
        GATEWAY_MANAGEMENT_TOKEN=TOKEN,
        DOCKER_SOCKET_GID=str(os.stat("/var/run/docker.sock").st_gid),
        SWARM_WAIT_SECONDS="240",
        SWARM_EXTRA_MODEL_REPLICAS="0",  # RandomForest/GradientBoosting stack services: none
    )
    s = SwarmStack(name, env, f"http://127.0.0.1:{consul_port}")
    try:
        up = s.deploy("up", name, "-f", "compose.yaml", "-f", "compose.dev.yaml", "-f", "compose.swarm.yaml")
        assert up.returncode == 0, up.stderr
        ports = s.deploy("ports", name).stdout.split()
        assert len(ports) == 2, f"expected 2 gateway tasks with host ports, got {ports}"
        s.gateways = [f"http://127.0.0.1:{p}" for p in ports]
        for gw in s.gateways:  # both gateways route both stack replicas
            wait_until(
                lambda gw=gw: len(s.passing(gw)) == 2,
                timeout=90,
                interval=0.5,
                what=f"2 passing model tasks in {gw}",
            )
        yield s
    finally:
        s.deploy("down", name)


def _labelled(client: docker.DockerClient, stack: str) -> list[str]:
    flt = {"label": f"{NAMESPACE}={stack}"}
    found = [f"service {x.name}" for x in client.services.list(filters=flt)]
    found += [f"network {x.name}" for x in client.networks.list(filters=flt)]
    found += [f"volume {x.name}" for x in client.volumes.list(filters=flt)]
    found += [f"secret {x.name}" for x in client.secrets.list(filters=flt)]
    found += [f"container {x.name}" for x in client.containers.list(all=True, filters=flt)]
    return found


def test_swarm_stack_scales_survives_a_kill_and_leaves_nothing(
    swarm: docker.DockerClient, stack: SwarmStack
) -> None:
    gw = stack.gateways[0]
    for _ in range(10):
        assert _predict(gw).status_code == 200

    # Scale to 3 over REST: answers once the new task is passing in Consul and routed.
    scaled = stack.scale(3)
    assert scaled.status_code == 200, scaled.text
    tasks = scaled.json()["instances"]
    assert len(tasks) == 3 and all(t["node"] for t in tasks)
    names = {str(t["name"]) for t in tasks}
    assert names <= stack.consul_passing(), "every task registered itself with its task name"
    for g in stack.gateways:  # both gateways route all three
        wait_until(
            lambda g=g: stack.passing(g) == names,
            timeout=30,
            interval=0.5,
            what=f"3 passing tasks routed by {g}",
        )

    # Kill one task's container under a prediction loop: Swarm replaces it, no request fails.
    victim = str(tasks[0]["id"])
    container = swarm.containers.list(filters={"label": f"com.docker.swarm.task.id={victim}"})[0]
    failures: list[str] = []
    done = threading.Event()
    count = 0

    def loop() -> None:
        nonlocal count
        with httpx.Client(timeout=30) as client:
            while not done.is_set():
                r = client.post(f"{gw}/api/predict/gdp_growth_rate", json=FEATURES)
                count += 1
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    try:
        time.sleep(1.0)
        container.kill()
        wait_until(
            lambda: len(stack.passing(gw) - names) == 1 and len(stack.instances(gw)) == 3,
            timeout=90,
            interval=0.5,
            what="Swarm replaced the killed task and the gateway routes the new one",
        )
    finally:
        done.set()
        worker.join(timeout=60)
    assert count > 0 and not failures, f"{len(failures)} of {count} predictions failed: {failures[:3]}"

    # Scale to 1, then remove the last one: each DELETE scales down by one.
    one = stack.scale(1)
    assert one.status_code == 200, one.text
    assert len(one.json()["instances"]) == 1
    last = one.json()["instances"][0]
    removed = httpx.delete(f"{gw}/api/models/instances/{last['id']}", headers=AUTH, timeout=60)
    assert removed.status_code == 200, removed.text
    assert removed.json()["container_id"] == last["id"]  # the only task is the one that went
    assert stack.instances(gw) == []
    # A model without a replica service in the stack: the first launch creates one, labelled
    # with the stack's namespace (so `docker stack rm` removes it), the DELETE scales it to 0.
    rf = httpx.post(f"{gw}/api/models/launch/RandomForest", headers=AUTH, timeout=180)
    assert rf.status_code == 200, rf.text
    created = swarm.services.get(f"{stack.name}-gdp-randomforest")
    assert created.attrs["Spec"]["Labels"][NAMESPACE] == stack.name
    assert created.attrs["Spec"]["EndpointSpec"]["Mode"] == "dnsrr"
    gone = httpx.delete(f"{gw}/api/models/instances/{rf.json()['container_id']}", headers=AUTH, timeout=60)
    assert gone.status_code == 200, gone.text
    # Anything not a replica task of this stack is 404 and left alone.
    consul_task = swarm.services.get(f"{stack.name}_service-discovery").tasks()[0]["ID"]
    assert (
        httpx.delete(f"{gw}/api/models/instances/{consul_task}", headers=AUTH, timeout=30).status_code == 404
    )

    down = stack.deploy("down", stack.name)
    assert down.returncode == 0, down.stderr
    assert _labelled(swarm, stack.name) == []
