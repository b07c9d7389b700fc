"""Mesh registrations and read endpoints, ?peer= and catalog/node filters, against a real dev agent.

Consul sources followed: structs.NodeService.Validate, agent/sidecar_service.go,
agent/health_endpoint.go (connect/ingress), agent/catalog_endpoint.go (connect, gateway-services,
node filter), website/content/api-docs/health.mdx and catalog.mdx.
"""

from __future__ import annotations

import consul
import httpx


def test_connect_proxy_registration_is_stored_and_listed(client: consul.Consul, agent_url: str) -> None:
    proxy = {
        "Kind": "connect-proxy",
        "Name": "mesh-web-proxy",
        "ID": "mesh-web-proxy-1",
        "Port": 21900,
        "Proxy": {"DestinationServiceName": "mesh-web", "LocalServicePort": 8080},
    }
    assert httpx.put(f"{agent_url}/v1/agent/service/register", json=proxy).status_code == 200
    svc = client.agent.services()["mesh-web-proxy-1"]
    assert svc["Kind"] == "connect-proxy" and svc["Proxy"]["DestinationServiceName"] == "mesh-web"
    health = httpx.get(f"{agent_url}/v1/health/connect/mesh-web")
    assert health.status_code == 200 and int(health.headers["X-Consul-Index"]) >= 1
    assert [e["Service"]["ID"] for e in health.json()] == ["mesh-web-proxy-1"]
    cat = httpx.get(f"{agent_url}/v1/catalog/connect/mesh-web").json()
    assert [(e["ServiceKind"], e["ServiceID"]) for e in cat] == [("connect-proxy", "mesh-web-proxy-1")]
    client.agent.service.deregister("mesh-web-proxy-1")
    assert httpx.get(f"{agent_url}/v1/health/connect/mesh-web").json() == []


def test_connect_proxy_validation(agent_url: str) -> None:
    r = httpx.put(
        f"{agent_url}/v1/agent/service/register", json={"Kind": "connect-proxy", "Name": "p", "Port": 1}
    )
    assert r.status_code == 400 and "DestinationServiceName must be non-empty" in r.text
    r = httpx.put(
        f"{agent_url}/v1/agent/service/register",
        json={"Kind": "connect-proxy", "Name": "p", "Proxy": {"DestinationServiceName": "x"}},
    )
    assert (r.status_code, r.text) == (
        400,
        "Validation failed: Port or SocketPath must be set for a Connect proxy",
    )


def test_sidecar_service_registers_a_proxy_and_goes_with_its_parent(
    client: consul.Consul, agent_url: str
) -> None:
    body = {"Name": "mesh-api", "ID": "mesh-api-1", "Port": 9090, "Connect": {"SidecarService": {}}}
    assert httpx.put(f"{agent_url}/v1/agent/service/register", json=body).status_code == 200
    services = client.agent.services()
    sidecar = services["mesh-api-1-sidecar-proxy"]
    assert sidecar["Service"] == "mesh-api-sidecar-proxy" and sidecar["Kind"] == "connect-proxy"
    assert 21000 <= sidecar["Port"] <= 21255
    assert sidecar["Proxy"]["DestinationServiceID"] == "mesh-api-1"
    assert sidecar["Proxy"]["LocalServicePort"] == 9090
    checks = {
        c["Name"] for c in client.agent.checks().values() if c["ServiceID"] == "mesh-api-1-sidecar-proxy"
    }
    assert checks == {"Connect Sidecar Listening", "Connect Sidecar Aliasing mesh-api-1"}
    health = httpx.get(f"{agent_url}/v1/health/connect/mesh-api").json()
    assert [e["Service"]["ID"] for e in health] == ["mesh-api-1-sidecar-proxy"]
    client.agent.service.deregister("mesh-api-1")
    assert "mesh-api-1-sidecar-proxy" not in client.agent.services()


def test_ingress_and_gateway_services_are_empty_lists(agent_url: str) -> None:
    for path in (
        "/v1/health/ingress/anything",
        "/v1/catalog/gateway-services/gw",
        "/v1/health/connect/nothing",
        "/v1/catalog/connect/nothing",
        "/v1/health/service/consul?merge-central-config",
    ):
        r = httpx.get(f"{agent_url}{path}")
        assert r.status_code == 200 and int(r.headers["X-Consul-Index"]) >= 1, path
    assert httpx.get(f"{agent_url}/v1/health/ingress/anything").json() == []
    assert httpx.get(f"{agent_url}/v1/catalog/gateway-services/gw").json() == []


def test_unknown_peer_answers_empty(client: consul.Consul, agent_url: str) -> None:
    client.agent.service.register("peer-svc", service_id="peer-svc-1", port=1)
    assert len(httpx.get(f"{agent_url}/v1/health/service/peer-svc").json()) == 1
    for path in ("/v1/health/service/peer-svc", "/v1/catalog/service/peer-svc", "/v1/health/checks/peer-svc"):
        r = httpx.get(f"{agent_url}{path}?peer=elsewhere")
        assert (r.status_code, r.json()) == (200, []), path
    client.agent.service.deregister("peer-svc-1")


def test_catalog_node_filter_applies_to_each_service(client: consul.Consul, agent_url: str) -> None:
    client.agent.service.register("nf-a", service_id="nf-a-1", tags=["nf-blue"])
    client.agent.service.register("nf-b", service_id="nf-b-1", tags=["nf-green"])
    node = httpx.get(f"{agent_url}/v1/agent/self").json()["Config"]["NodeName"]
    r = httpx.get(f"{agent_url}/v1/catalog/node/{node}", params={"filter": '"nf-blue" in Tags'})
    assert set(r.json()["Services"]) == {"nf-a-1"}, r.json()["Services"]
    r = httpx.get(f"{agent_url}/v1/catalog/node/{node}", params={"filter": "Nope =="})
    assert r.status_code == 400
    for sid in ("nf-a-1", "nf-b-1"):
        client.agent.service.deregister(sid)
