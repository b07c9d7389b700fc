"""The routing table follows Consul (real dev agent, real gateway process) within 1 s."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.helpers import consul_put, instance_ports, start_gateway, start_upstream, wait_ports
from tests.support.processes import ServiceProcess

SERVICE = "disc"
LIMIT_S = 1.0


@pytest.fixture(scope="module")
def setup(module_consul_url: str) -> Iterator[tuple[str, str, ServiceProcess]]:
    upstream = start_upstream(module_consul_url, SERVICE)
    gateway = start_gateway(module_consul_url)
    try:
        wait_ports(gateway.url, SERVICE, {upstream.port})  # type: ignore[attr-defined]
        yield module_consul_url, gateway.url, upstream  # type: ignore[attr-defined]
    finally:
        gateway.stop()
        upstream.stop()


def register_ttl(consul: str, sid: str, port: int, status: str = "passing") -> None:
    consul_put(
        consul,
        "/v1/agent/service/register",
        {
            "Name": SERVICE,
            "ID": sid,
            "Address": "127.0.0.1",
            "Port": port,
            "Check": {"CheckID": f"check-{sid}", "TTL": "60s", "Status": status},
        },
    )


def test_register_critical_passing_maintenance_deregister(setup: tuple[str, str, ServiceProcess]) -> None:
    consul, gw, upstream = setup
    base = {upstream.port}  # type: ignore[attr-defined]
    # A second "instance": same process, another port alias is not possible, so use a distinct
    # port number that nothing listens on; routing-table membership is what is checked here.
    extra_port = 1  # never contacted in this test
    sid = "disc-extra"

    register_ttl(consul, sid, extra_port)
    assert wait_ports(gw, SERVICE, base | {extra_port}, timeout=5) < LIMIT_S

    consul_put(consul, f"/v1/agent/check/fail/check-{sid}")
    assert wait_ports(gw, SERVICE, base, timeout=5) < LIMIT_S

    consul_put(consul, f"/v1/agent/check/pass/check-{sid}")
    assert wait_ports(gw, SERVICE, base | {extra_port}, timeout=5) < LIMIT_S

    consul_put(consul, f"/v1/agent/service/maintenance/{sid}?enable=true&reason=test")
    assert wait_ports(gw, SERVICE, base, timeout=5) < LIMIT_S

    consul_put(consul, f"/v1/agent/service/maintenance/{sid}?enable=false")
    assert wait_ports(gw, SERVICE, base | {extra_port}, timeout=5) < LIMIT_S

    consul_put(consul, f"/v1/agent/service/deregister/{sid}")
    assert wait_ports(gw, SERVICE, base, timeout=5) < LIMIT_S


def test_new_service_appears_and_disappears(setup: tuple[str, str, ServiceProcess]) -> None:
    consul, gw, upstream = setup
    consul_put(
        consul,
        "/v1/agent/service/register",
        {"Name": "brand-new", "ID": "brand-new-1", "Address": "127.0.0.1", "Port": upstream.port},
    )  # type: ignore[attr-defined]
    assert wait_ports(gw, "brand-new", {upstream.port}, timeout=5) < LIMIT_S  # type: ignore[attr-defined]
    r = httpx.get(f"{gw}/svc/brand-new/whoami", timeout=5)
    assert r.status_code == 200 and r.json()["port"] == upstream.port  # type: ignore[attr-defined]
    consul_put(consul, "/v1/agent/service/deregister/brand-new-1")
    assert wait_ports(gw, "brand-new", set(), timeout=5) < LIMIT_S
    assert httpx.get(f"{gw}/svc/brand-new/whoami", timeout=5).status_code == 503


def test_critical_from_a_real_failing_health_check(setup: tuple[str, str, ServiceProcess]) -> None:
    """A replica that stops answering its HTTP check leaves the table (check interval 1 s)."""
    consul, gw, _ = setup
    second = start_upstream(consul, SERVICE)
    try:
        wait_ports(gw, SERVICE, instance_ports(gw, SERVICE) | {second.port}, timeout=10)  # type: ignore[attr-defined]
        second.kill()  # SIGKILL: no deregistration, only the failing check tells Consul
        wait_ports(gw, SERVICE, instance_ports(gw, SERVICE) - {second.port}, timeout=10)  # type: ignore[attr-defined]
    finally:
        second.stop()


def test_many_services_each_watched_without_delay(setup: tuple[str, str, ServiceProcess]) -> None:
    """80 services = 80 blocking queries held open at once; a change to any is still seen < 1 s."""
    consul, gw, _ = setup
    names = [f"bulk-{i:02d}" for i in range(80)]
    for name in names:
        consul_put(
            consul,
            "/v1/agent/service/register",
            {"Name": name, "ID": f"{name}-a", "Address": "127.0.0.1", "Port": 2000},
        )
    try:
        wait_ports(gw, names[-1], {2000}, timeout=10)
        consul_put(
            consul,
            "/v1/agent/service/register",
            {"Name": names[-1], "ID": f"{names[-1]}-b", "Address": "127.0.0.1", "Port": 2001},
        )
        assert wait_ports(gw, names[-1], {2000, 2001}, timeout=5) < LIMIT_S
        consul_put(
            consul,
            "/v1/agent/service/register",
            {"Name": names[0], "ID": f"{names[0]}-b", "Address": "127.0.0.1", "Port": 2001},
        )
        assert wait_ports(gw, names[0], {2000, 2001}, timeout=5) < LIMIT_S
    finally:
        for name in names:
            for suffix in ("a", "b"):
                httpx.put(f"{consul}/v1/agent/service/deregister/{name}-{suffix}", timeout=5)
