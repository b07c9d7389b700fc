"""The whole stack on a dev agent with ACLs on (default-deny): with CONSUL_HTTP_TOKEN the echo
service registers and the gateway discovers and routes to it; without it every registration is
refused with Consul's 403 and nothing appears in the catalog."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.devagent.support import FAST_FLAGS, wait_for
from tests.gateway.helpers import start_gateway, wait_ports
from tests.support.processes import ServiceProcess, dev_agent, free_port, python_module

ROOT = "stack-root-secret"


@pytest.fixture(scope="module")
def acl_url() -> Iterator[str]:
    with dev_agent(None, *FAST_FLAGS, "--acl-enabled", "--acl-initial-management-token", ROOT) as url:
        yield url


def _echo(consul_url: str, name: str, token: str | None) -> ServiceProcess:
    port = free_port()
    env = {
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_NAME": name,
        "CONSUL_HTTP_ADDR": consul_url,
        "CHECK_INTERVAL": "1s",
        "LOG_LEVEL": "info",
    }
    if token:
        env["CONSUL_HTTP_TOKEN"] = token
    proc = ServiceProcess(python_module("echo_service"), env=env, name=f"{name}-{port}")
    proc.port = port  # type: ignore[attr-defined]
    proc.start()
    return proc


def _instances(consul_url: str, name: str) -> list[dict[str, object]]:
    r = httpx.get(f"{consul_url}/v1/health/service/{name}?passing", headers={"X-Consul-Token": ROOT})
    return list(r.json())


def test_stack_with_token_registers_discovers_and_routes(acl_url: str) -> None:
    echo = _echo(acl_url, "echo-service", ROOT)
    gateway = None
    try:
        wait_for(lambda: _instances(acl_url, "echo-service"), timeout=30, what="echo registered and passing")
        gateway = start_gateway(acl_url, consul_http_token=ROOT)
        wait_ports(gateway.url, "echo-service", {echo.port}, timeout=20)  # type: ignore[attr-defined]
        r = httpx.post(f"{gateway.url}/svc/echo-service/echo", json={"message": "hi"}, timeout=10)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text
        assert "hi" in r.text
    finally:
        if gateway is not None:
            gateway.stop()
        echo.stop()
    assert _instances(acl_url, "echo-service") == []  # deregistered with the token on shutdown


def test_without_token_every_registration_is_refused(acl_url: str) -> None:
    echo = _echo(acl_url, "echo-anon", None)
    try:
        wait_for(lambda: "Permission denied" in echo.output(), timeout=30, what="a refused registration")
        # said as a refusal naming the fix, not as an unreachable agent
        assert "set CONSUL_HTTP_TOKEN" in echo.output() and "not reachable" not in echo.output()
        time.sleep(1.5)  # it keeps retrying; none of the attempts may succeed
        assert _instances(acl_url, "echo-anon") == []
        services = httpx.get(f"{acl_url}/v1/catalog/services", headers={"X-Consul-Token": ROOT}).json()
        assert "echo-anon" not in services
        assert "lacks permission 'service:write' on \\\"echo-anon\\\"" in echo.output()  # JSON log
    finally:
        echo.stop()
