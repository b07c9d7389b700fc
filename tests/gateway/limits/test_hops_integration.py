"""A hop counter stops loops through the gateway (issue #10, item 8).

A service registered at the gateway's own address (``mirror``) lets a flow call the gateway
again; without a bound one request became thousands. With ``GATEWAY_MAX_HOPS`` every request
the gateway sends carries ``X-Gateway-Hops: n+1`` and one arriving at the maximum is 508.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.helpers import consul_put, start_gateway, wait_ports
from tests.support.processes import ServiceProcess

TOKEN = "hops-token"
MAX_HOPS = 4


@pytest.fixture(scope="module")
def gateway(module_consul_url: str) -> Iterator[ServiceProcess]:
    gw = start_gateway(
        module_consul_url,
        gateway_max_hops=str(MAX_HOPS),
        gateway_management_token=TOKEN,
        access_log="false",
    )
    port: int = gw.port  # type: ignore[attr-defined]
    consul_put(
        module_consul_url,
        "/v1/agent/service/register",
        {"Name": "mirror", "ID": "mirror-1", "Address": "127.0.0.1", "Port": port},
    )
    wait_ports(gw.url, "mirror", {port})  # type: ignore[attr-defined]
    yield gw
    gw.stop()


def test_hop_header_at_the_maximum_is_508(gateway: ServiceProcess) -> None:
    url = f"{gateway.url}/health"  # type: ignore[attr-defined]
    assert httpx.get(url, headers={"x-gateway-hops": str(MAX_HOPS - 1)}).status_code == 200
    resp = httpx.get(url, headers={"x-gateway-hops": str(MAX_HOPS)})
    assert resp.status_code == 508 and "loop" in resp.json()["detail"]
    assert httpx.get(url, headers={"x-gateway-hops": "lots"}).status_code == 508


def test_proxy_chain_through_itself_stops(gateway: ServiceProcess) -> None:
    path = "/svc/mirror" * (MAX_HOPS + 2) + "/health"
    resp = httpx.get(f"{gateway.url}{path}", timeout=10)  # type: ignore[attr-defined]
    assert resp.status_code == 508
    ok = httpx.get(f"{gateway.url}{'/svc/mirror' * (MAX_HOPS - 1)}/health", timeout=10)  # type: ignore[attr-defined]
    assert ok.status_code == 200


def test_flow_calling_the_gateway_itself_stops_after_max_hops(gateway: ServiceProcess) -> None:
    url: str = gateway.url  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    definition = {"endpoint": "/loop", "nodes": {"again": {"service": "mirror", "endpoint": "/loop"}}}
    put = httpx.put(f"{url}/api/flows/loop", json=definition, headers=auth, timeout=10)
    assert put.status_code in (200, 201), put.text
    resp = httpx.post(f"{url}/loop", json={"x": 1}, timeout=30)
    assert resp.status_code >= 400
    runs = httpx.get(f"{url}/v1/statistics", params={"kind": "flow"}, timeout=5).json()
    assert runs["flow"]["loop"]["count"] <= MAX_HOPS + 1, runs["flow"]["loop"]


def test_bad_flow_definition_is_422_naming_the_node(gateway: ServiceProcess) -> None:
    url: str = gateway.url  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for node in (
        {"service": "mirror", "endpoint": "/x HTTP/1.1\r\nHost: y\r\n\r\nGET /admin"},
        {"service": "mirror", "headers": {"x-a": "1\r\nX-B: 2"}},
        {"host": "169.254.169.254", "port": 80},
        {"host": "127.0.0.1", "port": gateway.port},  # type: ignore[attr-defined]
    ):
        resp = httpx.put(f"{url}/api/flows/bad", json={"nodes": {"evil": node}}, headers=auth, timeout=10)
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"]["node"] == "evil", resp.text
