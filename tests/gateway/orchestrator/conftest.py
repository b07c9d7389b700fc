"""Real processes for flow integration tests: dev agent, echo and flow test services, gateway.

One stack per test module (module scope) keeps the suite fast; processes start in
parallel and are all stopped in teardown.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.consul import passing_instances
from tests.support.processes import REPO_ROOT, ServiceProcess, free_port, python_module, wait_until

TOKEN = "flows-test-token"
SHIPPED_FLOWS = REPO_ROOT / "gateway" / "flows"


def service_env(consul_url: str, name: str, port: int) -> dict[str, str]:
    return {
        "CONSUL_HTTP_ADDR": consul_url,
        "SERVICE_NAME": name,
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "CHECK_INTERVAL": "1s",
        "CHECK_TIMEOUT": "1s",
        "LOG_LEVEL": "warning",
    }


def echo_process(consul_url: str, port: int, name: str = "echo-service") -> ServiceProcess:
    return ServiceProcess(
        python_module("echo_service"),
        name=f"echo-{port}",
        env=service_env(consul_url, name, port),
        ready_url=f"http://127.0.0.1:{port}/health",
    )


def flowsvc_process(consul_url: str, name: str, port: int) -> ServiceProcess:
    return ServiceProcess(
        python_module("tests.gateway.orchestrator.flowsvc"),
        name=f"{name}-{port}",
        env=service_env(consul_url, name, port),
        ready_url=f"http://127.0.0.1:{port}/health",
    )


def gateway_process(consul_url: str, port: int, flows_dir: Path) -> ServiceProcess:
    env = service_env(consul_url, "gateway", port)
    env.update(
        {"GATEWAY_FLOWS_DIR": str(flows_dir), "GATEWAY_MANAGEMENT_TOKEN": TOKEN, "ACCESS_LOG": "false"}
    )
    return ServiceProcess(
        python_module("gateway"), name=f"gateway-{port}", env=env, ready_url=f"http://127.0.0.1:{port}/health"
    )


def start_all(processes: list[ServiceProcess]) -> None:
    with ThreadPoolExecutor(max_workers=len(processes)) as pool:
        errors = [f.exception() for f in [pool.submit(p.start) for p in processes]]
    failed = [e for e in errors if e is not None]
    if failed:
        for p in processes:
            p.stop()
        raise failed[0]


def routed_counts(stack: Stack) -> dict[str, int]:
    """Instances per test service in the gateway's routing table ({} while it is not answering)."""
    try:
        services = httpx.get(f"{stack.gateway_url}/api/routes", timeout=2).json()["services"]
    except (httpx.HTTPError, ValueError, KeyError):
        return {}
    return {s["name"]: len(s["instances"]) for s in services if s["name"] in SERVICES}


@dataclass
class Stack:
    consul_url: str
    gateway_url: str
    ports: dict[str, list[int]] = field(default_factory=dict)
    processes: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    gateway: ServiceProcess | None = None

    def post(self, path: str, json: object, **kw: object) -> httpx.Response:
        return httpx.post(f"{self.gateway_url}{path}", json=json, timeout=30, **kw)  # type: ignore[arg-type]

    def put_flow(self, name: str, definition: dict[str, object]) -> httpx.Response:
        return httpx.put(
            f"{self.gateway_url}/api/flows/{name}",
            json=definition,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )


SERVICES = {"echo-service": 1, "svc-a": 1, "svc-b": 1, "svc-c": 1, "svc-ha": 2}


@pytest.fixture(scope="module")
def stack(module_consul_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    flows_dir = tmp_path_factory.mktemp("flows")
    shutil.copy(SHIPPED_FLOWS / "echo.yaml", flows_dir / "echo.yaml")
    for src in (Path(__file__).parent / "flows").glob("*.yaml"):
        shutil.copy(src, flows_dir / src.name)
    gw_port = free_port()
    stack = Stack(module_consul_url, f"http://127.0.0.1:{gw_port}")
    everything: list[ServiceProcess] = []
    for name, count in SERVICES.items():
        for _ in range(count):
            port = free_port()
            proc = (
                echo_process(module_consul_url, port)
                if name == "echo-service"
                else flowsvc_process(module_consul_url, name, port)
            )
            stack.ports.setdefault(name, []).append(port)
            stack.processes.setdefault(name, []).append(proc)
            everything.append(proc)
    stack.gateway = gateway_process(module_consul_url, gw_port, flows_dir)
    everything.append(stack.gateway)
    try:
        start_all(everything)
        for name, count in SERVICES.items():
            wait_until(
                lambda n=name, c=count: len(passing_instances(module_consul_url, n)) == c,
                15,
                what=f"{name} passing",
            )
        for name in SERVICES:  # the gateway's routing table knows every service
            wait_until(
                lambda n=name: httpx.get(f"{stack.gateway_url}/svc/{n}/health").status_code == 200,
                15,
                what=f"gateway routes {name}",
            )
        yield stack
    finally:
        for proc in reversed(everything):
            proc.stop()
