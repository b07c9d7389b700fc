"""HTTPS upstreams through the one upstream client, against a real TLS server (aiohttp) with
certificates generated for the test (trustme): verified by default, a CA file setting, host
names checked, and instances that declare ``proto=https`` in Consul."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from gateway.balancing import Balancer
from gateway.discovery import Instance, RoutingTable
from gateway.upstream import Ejector, ServiceClient, UpstreamUnavailable
from gateway.upstream.tls import upstream_tls_context
from tests.support.processes import free_port


async def hello(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "scheme": request.scheme,
            "path": request.path_qs,
            "body": body.decode(),
            "auth": request.headers.get("Authorization"),
        }
    )


async def tls_site(ca: trustme.CA, *hostnames: str) -> tuple[web.AppRunner, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hostnames).configure_cert(context)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    return runner, port


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
async def server(ca: trustme.CA) -> AsyncIterator[int]:
    runner, port = await tls_site(ca, "127.0.0.1", "localhost")
    yield port
    await runner.cleanup()


def client(table: RoutingTable | None = None, **tls: object) -> ServiceClient:
    routing = table or RoutingTable.build({}, 1)
    return ServiceClient(
        lambda: routing,
        Balancer("round_robin"),
        Ejector(failures=5, seconds=1, max_share=0.5),
        timeout=5.0,
        ssl_context=upstream_tls_context(**tls),  # type: ignore[arg-type]
    )


async def test_https_with_the_configured_ca(server: int, ca_file: str) -> None:
    c = client(ca_file=ca_file)
    try:
        for _ in range(3):  # the TLS connection is kept alive and reused
            resp = await c.request_direct("127.0.0.1", server, "POST", "/a?x=1", body=b"hi", tls=True)
            assert resp.status == 200
            assert resp.json() == {"scheme": "https", "path": "/a?x=1", "body": "hi", "auth": None}
        assert c.http.connects == 1
    finally:
        await c.close()


async def test_unknown_ca_is_refused_by_default(server: int) -> None:
    c = client()  # the system CAs: the test CA is not among them
    try:
        with pytest.raises(UpstreamUnavailable, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            await c.request_direct("127.0.0.1", server, "GET", "/", tls=True)
    finally:
        await c.close()


async def test_host_name_is_checked(ca: trustme.CA, ca_file: str) -> None:
    runner, port = await tls_site(ca, "other.example")
    c = client(ca_file=ca_file)
    try:
        with pytest.raises(UpstreamUnavailable, match="match|mismatch"):
            await c.request_direct("127.0.0.1", port, "GET", "/", tls=True)
    finally:
        await c.close()
        await runner.cleanup()


async def test_verification_can_be_turned_off(server: int) -> None:
    c = client(verify=False)
    try:
        resp = await c.request_direct("127.0.0.1", server, "GET", "/off", tls=True)
        assert resp.status == 200 and resp.json()["scheme"] == "https"
    finally:
        await c.close()


def consul_entry(port: int, **service: object) -> dict[str, object]:
    return {
        "Node": {"Address": "127.0.0.1"},
        "Service": {"Service": "secure", "ID": "s1", "Port": port, **service},
    }


@pytest.mark.parametrize("declared", [{"Tags": ["proto=https"]}, {"Meta": {"proto": "https"}}])
def test_instances_declare_https_with_proto(declared: dict[str, object]) -> None:
    instance = Instance.from_health_entry(consul_entry(8443, **declared))
    assert instance is not None and instance.tls and instance.url == "https://127.0.0.1:8443"
    plain = Instance.from_health_entry(consul_entry(8080))
    assert plain is not None and not plain.tls and plain.url == "http://127.0.0.1:8080"


async def test_discovered_https_instance_through_request(server: int, ca_file: str) -> None:
    instance = Instance.from_health_entry(consul_entry(server, Tags=["proto=https"]))
    assert instance is not None
    c = client(RoutingTable.build({"secure": (instance,)}, 1), ca_file=ca_file)
    try:
        resp = await c.request("secure", "GET", "/by-name")
        assert resp.status == 200 and resp.json()["scheme"] == "https"
    finally:
        await c.close()


async def test_an_opea_node_with_api_key_and_https_base_url(server: int, ca_file: str) -> None:
    """OPEA's remote-endpoint node (api_key + base URL) over the one client, no httpx fallback."""
    from gateway.orchestrator import MicroService, ServiceOrchestrator
    from gateway.orchestrator.core_caller import CoreNodeCaller

    c = client(ca_file=ca_file)
    try:
        remote = MicroService(
            "remote", host=f"https://localhost:{server}/v1", api_key="sk-1", endpoint="/chat"
        )
        orchestrator = ServiceOrchestrator(caller=CoreNodeCaller(c)).add(remote)
        result, _ = await orchestrator.schedule({"q": 1})
        answer = result[remote.name]
        assert (answer["scheme"], answer["path"], answer["auth"]) == ("https", "/v1/chat", "Bearer sk-1")
    finally:
        await c.close()
