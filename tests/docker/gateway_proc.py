"""A real gateway process on the host driving the real engine for one test stack."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from servicekit.contracts import GDP_EXAMPLE
from tests.support.processes import ServiceProcess, free_port, python_module

from .support import MODEL_IMAGE, DockerStack

TOKEN = "test-management-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FEATURES = dict(GDP_EXAMPLE)


@contextmanager
def docker_gateway(stack: DockerStack, **overrides: str) -> Iterator[str]:
    """``python -m gateway`` with the Docker runtime; replicas join the stack network."""
    port = free_port()
    env: dict[str, str] = {
        "CONSUL_HTTP_ADDR": stack.agent_url_host,
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_PORT": str(port),
        "SERVICE_REGISTER": "false",
        "GATEWAY_RUNTIME": "docker",
        "GATEWAY_MANAGEMENT_TOKEN": TOKEN,
        "STACK_NAME": stack.name,
        "REPLICA_IMAGE": MODEL_IMAGE,
        "REPLICA_NETWORK": stack.network,
        "REPLICA_CONSUL_ADDR": stack.agent_url_network,
        "REPLICA_MAX_PER_MODEL": "3",
        "REPLICA_LAUNCH_TIMEOUT": "60",
        "REPLICA_STOP_TIMEOUT": "5",
        "LOG_FORMAT": "text",
    }
    env.update(overrides)
    url = f"http://127.0.0.1:{port}"
    with ServiceProcess(
        python_module("gateway"), env=env, name="gateway-docker", ready_url=f"{url}/health", ready_timeout=60
    ):
        yield url


def predict(url: str) -> httpx.Response:
    return httpx.post(f"{url}/api/predict/gdp_growth_rate", json=FEATURES, timeout=30)


def agent_instances(stack: DockerStack, service: str = "gdp-growth-model") -> list[Mapping[str, object]]:
    resp = httpx.get(f"{stack.agent_url_host}/v1/health/service/{service}", timeout=5)
    resp.raise_for_status()
    return list(resp.json())


def passing_ids(stack: DockerStack, service: str = "gdp-growth-model") -> set[str]:
    ids: set[str] = set()
    for entry in agent_instances(stack, service):
        checks = entry.get("Checks") or []
        assert isinstance(checks, list)
        if all(c.get("Status") == "passing" for c in checks):
            svc = entry.get("Service") or {}
            assert isinstance(svc, dict)
            ids.add(str(svc.get("ID")))
    return ids
