"""Consul stops under the gateway: routing continues from the last table, health says degraded
with the table's age, and when an agent is back on the same port the watchers resume."""

from __future__ import annotations

import time

import httpx

from tests.gateway.helpers import instance_ports, start_gateway, start_upstream, wait_ports
from tests.support.processes import ServiceProcess, free_port, python_module, wait_until


def agent(port: int) -> ServiceProcess:
    return ServiceProcess(
        python_module("devagent", "--port", str(port)),
        name="devagent",
        ready_url=f"http://127.0.0.1:{port}/v1/status/leader",
    ).start()


def test_consul_stopped_and_restarted_under_the_gateway() -> None:
    port = free_port()
    consul = f"http://127.0.0.1:{port}"
    first = agent(port)
    second: ServiceProcess | None = None
    procs: list[ServiceProcess] = []
    gateway: ServiceProcess | None = None
    try:
        web = start_upstream(consul, "web")
        procs.append(web)
        gateway = start_gateway(consul)
        gw = gateway.url  # type: ignore[attr-defined]
        wait_ports(gw, "web", {web.port})  # type: ignore[attr-defined]
        assert httpx.get(f"{gw}/ready", timeout=5).json()["status"] == "ok"

        first.stop()  # Consul is gone
        wait_until(
            lambda: httpx.get(f"{gw}/ready", timeout=5).json()["status"] == "degraded",
            timeout=10,
            what="gateway reports degraded",
        )
        time.sleep(0.5)
        with httpx.Client(timeout=5) as client:
            for _ in range(20):  # still routed from the last table
                r = client.get(f"{gw}/svc/web/whoami")
                assert r.status_code == 200 and r.json()["port"] == web.port  # type: ignore[attr-defined]
            ready = client.get(f"{gw}/ready")
            assert ready.status_code == 200  # degraded still serves
            assert ready.json()["status"] == "degraded"
            assert ready.json()["table_age_s"] >= 0.5
            assert "consul_error" in ready.json()
            opea = client.get(f"{gw}/v1/health_check").json()
            assert opea["status"] == "degraded" and opea["table_age_s"] > 0
            assert client.get(f"{gw}/health").status_code == 200
            assert "gateway_discovery_healthy 0.0" in client.get(f"{gw}/metrics").text

        second = agent(port)  # a new, empty agent on the same port
        # While web re-registers with the empty agent, the gateway keeps routing it (restart grace).
        with httpx.Client(timeout=5) as client:
            until = time.monotonic() + 2.0
            while time.monotonic() < until:
                assert client.get(f"{gw}/svc/web/whoami").status_code == 200
                time.sleep(0.05)
        late = start_upstream(consul, "late")  # registers only with the new agent
        procs.append(late)
        wait_ports(gw, "late", {late.port}, timeout=15)  # type: ignore[attr-defined]
        # web re-registers by itself (servicekit) and stays routable throughout
        wait_ports(gw, "web", {web.port}, timeout=15)  # type: ignore[attr-defined]
        wait_until(
            lambda: httpx.get(f"{gw}/ready", timeout=5).json()["status"] == "ok",
            timeout=10,
            what="gateway back to ok",
        )
        assert httpx.get(f"{gw}/svc/late/whoami", timeout=5).json()["port"] == late.port  # type: ignore[attr-defined]
        assert instance_ports(gw, "web") == {web.port}  # type: ignore[attr-defined]
    finally:
        if gateway is not None:
            gateway.stop()
        for p in procs:
            p.stop()
        first.stop()
        if second is not None:
            second.stop()
