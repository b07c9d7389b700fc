"""Start gateways and upstreams as real processes; read the gateway's routing table."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from tests.support.processes import ServiceProcess, free_port, python_module, wait_http, wait_until


def start_upstream(
    consul_url: str,
    name: str,
    *,
    port: int | None = None,
    tags: Sequence[str] = (),
    meta: Mapping[str, str] | None = None,
    model: str = "",
    module: str = "tests.gateway.upstream_app",
    extra_env: Mapping[str, str] | None = None,
    wait: bool = True,
) -> ServiceProcess:
    """Start an upstream (``wait=False``: do not wait for it; use ``wait_started``)."""
    port = port or free_port()
    env = {
        "SERVICE_PORT": str(port),
        "SERVICE_NAME": name,
        "SERVICE_HOST": "127.0.0.1",
        "CONSUL_HTTP_ADDR": consul_url,
        "CHECK_INTERVAL": "1s",
        "CHECK_TIMEOUT": "1s",
        "SERVICE_TAGS": ",".join(tags),
        "SERVICE_META": ",".join(f"{k}={v}" for k, v in (meta or {}).items()),
        "UPSTREAM_MODEL": model,
        "LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    proc = ServiceProcess(python_module(module), env=env, name=f"{name}-{port}")
    proc.port = port  # type: ignore[attr-defined]
    proc.start()
    if wait:
        wait_started([proc])
    return proc


def wait_started(procs: Sequence[ServiceProcess], timeout: float = 30.0) -> None:
    """Wait until every process answers on /health (they start in parallel)."""
    for proc in procs:
        try:
            wait_http(f"http://127.0.0.1:{proc.port}/health", timeout=timeout, expect_status=None)  # type: ignore[attr-defined]
        except TimeoutError as exc:
            raise RuntimeError(f"{proc.name} did not start: {exc}\n{proc.output()}") from exc


def start_gateway(consul_url: str, *, port: int | None = None, **settings: str) -> ServiceProcess:
    port = port or free_port()
    env = {
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "CONSUL_HTTP_ADDR": consul_url,
        "CHECK_INTERVAL": "1s",
        "WATCH_WAIT": "5s",
        "LOG_LEVEL": "warning",
        **{k.upper(): v for k, v in settings.items()},
    }
    proc = ServiceProcess(
        python_module("gateway"), env=env, name=f"gateway-{port}", ready_url=f"http://127.0.0.1:{port}/health"
    )
    proc.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    proc.port = port  # type: ignore[attr-defined]
    proc.start()
    wait_http(f"{proc.url}/ready", timeout=15)  # type: ignore[attr-defined]
    return proc


_client = httpx.Client(timeout=5)


def routes(gw_url: str) -> dict[str, Any]:
    data: dict[str, Any] = _client.get(f"{gw_url}/api/routes").json()
    return data


def instance_ports(gw_url: str, service: str) -> set[int]:
    for svc in routes(gw_url)["services"]:
        if svc["name"] == service:
            return {i["port"] for i in svc["instances"]}
    return set()


def wait_ports(gw_url: str, service: str, ports: set[int], timeout: float = 15.0) -> float:
    """Wait until the gateway routes ``service`` to exactly ``ports``; seconds it took."""
    start = time.monotonic()
    wait_until(
        lambda: instance_ports(gw_url, service) == ports,
        timeout=timeout,
        interval=0.02,
        what=f"{service} routed to {sorted(ports)}",
    )
    return time.monotonic() - start


def consul_put(consul_url: str, path: str, body: Any = None) -> httpx.Response:
    resp = httpx.put(f"{consul_url}{path}", json=body, timeout=5)
    resp.raise_for_status()
    return resp
