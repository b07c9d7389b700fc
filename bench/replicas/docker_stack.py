"""What both replica benchmarks set up: a ``cgbench-*`` network on the engine with the dev
agent's image in it, and a gateway on the host managing model replicas there (the Docker
runtime). Everything created carries the stack's labels and is removed at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import docker

from tests.support.processes import ServiceProcess, replica_gateway, wait_http

TAG = os.environ.get("IMAGE_TAG", "dev")
MODEL_IMAGE = f"consul-gateway/model-service:{TAG}"
AGENT_IMAGE = f"consul-gateway/service-discovery:{TAG}"
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass(frozen=True)
class DockerStack:
    name: str
    network: str
    agent_url: str
    labels: dict[str, str] = field(default_factory=dict)

    def gateway(self, **settings: str) -> ServiceProcess:
        """A gateway on the host (``.url``) launching replicas of ``MODEL_IMAGE`` in this stack;
        ``settings`` add to its environment."""
        return replica_gateway(
            self.agent_url,
            token=TOKEN,
            stack=self.name,
            name="bench-gateway",
            GATEWAY_RUNTIME="docker",
            REPLICA_IMAGE=MODEL_IMAGE,
            REPLICA_NETWORK=self.network,
            REPLICA_CONSUL_ADDR=f"http://{self.name}-consul:8500",
            LOG_LEVEL="warning",
            **settings,
        )


def container_ip(container: docker.models.containers.Container, network: str) -> str:
    container.reload()
    return str(container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])


@contextmanager
def docker_stack(client: docker.DockerClient) -> Iterator[DockerStack]:
    """A labelled network with a dev agent answering in it; removed with all it holds."""
    name = f"cgbench-{uuid.uuid4().hex[:6]}"
    labels = {"io.consul-gateway.managed": "true", "io.consul-gateway.stack": name}
    net = client.networks.create(f"{name}-net", labels=labels)
    network = str(net.name)
    try:
        agent = client.containers.run(
            AGENT_IMAGE, detach=True, name=f"{name}-consul", network=network, labels=labels
        )
        agent_url = f"http://{container_ip(agent, network)}:8500"
        wait_http(f"{agent_url}/v1/status/leader", timeout=30)
        yield DockerStack(name, network, agent_url, labels)
    finally:
        for c in client.containers.list(all=True, filters={"label": f"io.consul-gateway.stack={name}"}):
            c.remove(force=True)
        net.remove()
