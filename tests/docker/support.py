"""Helpers of the Docker tests: engine availability policy, labelled test stacks, cleanup."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker
import pytest
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from tests.support.processes import wait_http

MANAGED = "io.consul-gateway.managed"
STACK = "io.consul-gateway.stack"
TEST_PREFIX = "cgtest-"
IMAGE_TAG = os.environ.get("IMAGE_TAG", "dev")
AGENT_IMAGE = f"consul-gateway/service-discovery:{IMAGE_TAG}"
MODEL_IMAGE = f"consul-gateway/model-service:{IMAGE_TAG}"
GATEWAY_IMAGE = f"consul-gateway/gateway:{IMAGE_TAG}"
ECHO_IMAGE = f"consul-gateway/echo-service:{IMAGE_TAG}"
ALL_IMAGES = (AGENT_IMAGE, MODEL_IMAGE, GATEWAY_IMAGE, ECHO_IMAGE)


def unavailable(reason: str) -> None:
    """In CI a missing engine/image is a failure, never a skip; locally it skips with the reason."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Docker tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"{reason} (run `make docker-setup`; in CI this fails)")


def engine() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except DockerException as exc:
        unavailable(f"no Docker engine answering: {exc}")
        raise  # unreachable: unavailable() always raises
    for image in ALL_IMAGES:
        try:
            client.images.get(image)
        except ImageNotFound:
            unavailable(f"image {image} missing (make images)")
    return client


def new_stack_name(kind: str) -> str:
    """``cgtest-<kind>-<pid>-<hex>``: the pid tells a leftover (dead owner) from a live run."""
    return f"{TEST_PREFIX}{kind}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _owner_dead(stack: str) -> bool:
    parts = stack.split("-")
    pid = next((int(p) for p in reversed(parts[:-1]) if p.isdigit()), None)
    return pid is None or not os.path.exists(f"/proc/{pid}")


def remove_leftovers(client: docker.DockerClient) -> None:
    """Stacks of earlier test runs whose process is gone (concurrent runs are left alone)."""
    names: set[str] = set()
    for c in client.containers.list(all=True, filters={"label": f"{MANAGED}=true"}):
        name = c.labels.get(STACK, "")
        if name.startswith(TEST_PREFIX) and _owner_dead(name):
            names.add(name)
    for n in client.networks.list(filters={"label": f"{MANAGED}=true"}):
        name = (n.attrs.get("Labels") or {}).get(STACK, "")
        if name.startswith(TEST_PREFIX) and _owner_dead(name):
            names.add(name)
    if client.info().get("Swarm", {}).get("ControlAvailable"):
        for svc in client.services.list(filters={"label": f"{MANAGED}=true"}):
            name = (svc.attrs["Spec"].get("Labels") or {}).get(STACK, "")
            if name.startswith(TEST_PREFIX) and _owner_dead(name):
                names.add(name)
    for name in names:
        remove_stacks(client, stack=name)


def remove_stacks(
    client: docker.DockerClient, *, prefix: str | None = None, stack: str | None = None
) -> None:
    """Remove containers, networks and volumes of test stacks, selected by label only."""

    def selected(labels: dict[str, str] | None) -> bool:
        name = (labels or {}).get(STACK, "")
        return name == stack if stack is not None else bool(prefix) and name.startswith(prefix or "")

    flt = {"label": f"{MANAGED}=true"}
    if client.info().get("Swarm", {}).get("ControlAvailable"):  # Swarm stacks (test_swarm.py)
        for svc in client.services.list(filters=flt):
            if selected(svc.attrs["Spec"].get("Labels")):
                try:
                    svc.remove()
                except (NotFound, APIError):
                    pass
    for c in client.containers.list(all=True, filters=flt):
        if selected(c.labels):
            try:
                c.remove(force=True, v=True)
            except (NotFound, APIError):
                pass
    for n in client.networks.list(filters=flt):
        if selected(n.attrs.get("Labels")):
            try:
                n.remove()
            except (NotFound, APIError):
                pass
    for v in client.volumes.list(filters=flt):
        if selected(v.attrs.get("Labels")):
            try:
                v.remove(force=True)
            except (NotFound, APIError):
                pass


@dataclass
class DockerStack:
    """A labelled user-defined network with a dev agent container on it."""

    name: str
    network: str
    agent_name: str
    agent_id: str
    agent_ip: str

    @property
    def agent_url_host(self) -> str:
        """The agent as the host reaches it (container IP; no published port needed)."""
        return f"http://{self.agent_ip}:8500"

    @property
    def agent_url_network(self) -> str:
        """The agent as containers on the stack network reach it (Docker DNS)."""
        return f"http://{self.agent_name}:8500"


@contextmanager
def docker_stack(client: docker.DockerClient, kind: str) -> Iterator[DockerStack]:
    name = new_stack_name(kind)
    labels = {MANAGED: "true", STACK: name}
    try:
        net = client.networks.create(f"{name}-net", driver="bridge", labels=labels)
        agent = client.containers.run(
            AGENT_IMAGE,
            detach=True,
            name=f"{name}-consul",
            labels={**labels, "io.consul-gateway.role": "test-agent"},
            network=net.name,
        )
        agent.reload()
        ip = agent.attrs["NetworkSettings"]["Networks"][net.name]["IPAddress"]
        stack = DockerStack(name, str(net.name), str(agent.name), str(agent.id), ip)
        wait_http(f"{stack.agent_url_host}/v1/status/leader", timeout=30)
        yield stack
    finally:
        remove_stacks(client, stack=name)
