"""Failover and passive ejection against real processes: SIGKILL under load, dead instances, 502."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

from tests.gateway.helpers import consul_put, routes, start_gateway, start_upstream, wait_ports, wait_started
from tests.support.processes import ServiceProcess, free_port, python_module


def start_echo(consul: str, port: int) -> ServiceProcess:
    env = {
        "SERVICE_PORT": str(port),
        "SERVICE_NAME": "echo-service",
        "CONSUL_HTTP_ADDR": consul,
        "SERVICE_HOST": "127.0.0.1",
        "CHECK_INTERVAL": "1s",
        "CHECK_TIMEOUT": "1s",
        "LOG_LEVEL": "warning",
    }
    proc = ServiceProcess(python_module("echo_service"), env=env, name=f"echo-{port}")
    proc.port = port  # type: ignore[attr-defined]
    return proc.start()


async def load(url: str, stop_at: float, concurrency: int = 8) -> tuple[int, list[str], Counter[int]]:
    """POST /echo through the gateway until ``stop_at``; returns (ok count, failures, ports)."""
    failures: list[str] = []
    served: Counter[int] = Counter()
    ok = 0

    async def worker(n: int) -> None:
        nonlocal ok
        async with httpx.AsyncClient(timeout=10) as client:
            i = 0
            while time.monotonic() < stop_at:
                i += 1
                doc = {"worker": n, "i": i}
                try:
                    r = await client.post(f"{url}/svc/echo-service/echo", json=doc)
                except httpx.HTTPError as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if r.status_code != 200 or r.json() != doc:
                    failures.append(f"{r.status_code}: {r.text[:200]}")
                else:
                    ok += 1

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return ok, failures, served


async def test_sigkill_one_of_three_under_load_loses_no_request(consul_url: str) -> None:
    ports = [free_port() for _ in range(3)]
    echoes = [start_echo(consul_url, p) for p in ports]
    gateway = None
    try:
        gateway = start_gateway(consul_url, eject_failures="2", eject_seconds="30")
        wait_ports(gateway.url, "echo-service", set(ports), timeout=15)  # type: ignore[attr-defined]
        start = time.monotonic()
        task = asyncio.create_task(load(gateway.url, start + 4.0))  # type: ignore[attr-defined]
        await asyncio.sleep(1.0)
        echoes[0].kill()  # SIGKILL: open connections reset, the port refuses, Consul knows nothing yet
        ok, failures, _ = await task
        assert failures == [], failures[:5]
        assert ok > 100  # it was real load
        # The dead instance left the table (its check failed) or was ejected meanwhile.
        wait_ports(gateway.url, "echo-service", set(ports[1:]), timeout=10)  # type: ignore[attr-defined]
        metrics = httpx.get(f"{gateway.url}/metrics", timeout=5).text  # type: ignore[attr-defined]
        assert 'gateway_retries_total{service="echo-service"}' in metrics
    finally:
        if gateway is not None:
            gateway.stop()
        for e in echoes:
            e.stop()


def test_dead_instance_is_retried_elsewhere_then_ejected(consul_url: str) -> None:
    live = start_upstream(consul_url, "mixed")
    gateway = start_gateway(consul_url, eject_failures="2", eject_seconds="30", eject_max_share="0.5")
    try:
        dead_port = free_port()  # nothing listens: connection refused
        consul_put(
            consul_url,
            "/v1/agent/service/register",
            {"Name": "mixed", "ID": "mixed-dead", "Address": "127.0.0.1", "Port": dead_port},
        )
        wait_ports(gateway.url, "mixed", {live.port, dead_port})  # type: ignore[attr-defined]
        with httpx.Client(timeout=5) as client:
            results = [client.get(f"{gateway.url}/svc/mixed/whoami") for _ in range(30)]  # type: ignore[attr-defined]
            assert [r.status_code for r in results] == [200] * 30
            assert {r.json()["port"] for r in results} == {live.port}  # type: ignore[attr-defined]
            view = {s["name"]: s for s in routes(gateway.url)["services"]}["mixed"]  # type: ignore[attr-defined]
            assert view["ejected"] == ["mixed-dead"]
            metrics = client.get(f"{gateway.url}/metrics").text  # type: ignore[attr-defined]
            assert 'gateway_ejections_total{service="mixed"} 1.0' in metrics
    finally:
        gateway.stop()
        live.stop()


def test_unreachable_everywhere_is_502_naming_the_service(consul_url: str) -> None:
    gateway = start_gateway(consul_url)
    try:
        for i in range(2):
            consul_put(
                consul_url,
                "/v1/agent/service/register",
                {"Name": "ghost", "ID": f"ghost-{i}", "Address": "127.0.0.1", "Port": free_port()},
            )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
            s["name"] == "ghost" and len(s["instances"]) == 2
            for s in routes(gateway.url)["services"]  # type: ignore[attr-defined]
        ):
            time.sleep(0.05)
        r = httpx.post(f"{gateway.url}/svc/ghost/anything", content=b"{}", timeout=10)  # type: ignore[attr-defined]
        assert r.status_code == 502
        assert r.json()["service"] == "ghost"
        assert "ghost" in r.json()["detail"]
    finally:
        gateway.stop()


def test_gateway_routes_upstreams_that_register_while_it_starts(consul_url: str) -> None:
    """Upstreams and the gateway start at once: every upstream ends up serving through it."""
    procs = [start_upstream(consul_url, "many", wait=False) for _ in range(3)]
    gateway = start_gateway(consul_url)
    try:
        wait_started(procs)
        ports = {p.port for p in procs}  # type: ignore[attr-defined]
        wait_ports(gateway.url, "many", ports, timeout=15)  # type: ignore[attr-defined]
        served: set[int] = set()
        for _ in range(60):  # random balancing: P(an instance unused in 60) ~ 1e-10
            r = httpx.get(f"{gateway.url}/svc/many/whoami", timeout=5)  # type: ignore[attr-defined]
            assert r.status_code == 200
            served.add(r.json()["port"])
        assert served == ports
    finally:
        gateway.stop()
        for p in procs:
            p.stop()
