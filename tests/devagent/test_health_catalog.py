"""Health and catalog endpoints (contract §1, §4, §5) against a real dev agent process."""

from __future__ import annotations

import consul
import httpx


def _reg(
    c: consul.Consul, name: str, sid: str, tags: list[str] | None = None, status: str | None = None
) -> None:
    check = consul.Check.ttl("60s")
    c.agent.service.register(name, service_id=sid, tags=tags, check=check)
    if status == "passing":
        c.agent.check.ttl_pass(f"service:{sid}")
    elif status == "warning":
        c.agent.check.ttl_warn(f"service:{sid}")


def test_dev_defaults_consul_service_and_serf_health(fresh_agent_url: str) -> None:
    """§1: a fresh agent has the `consul` service (port 8300) and the passing serfHealth node check."""
    c = consul.Consul(host="127.0.0.1", port=int(fresh_agent_url.rsplit(":", 1)[1]))
    _, services = c.catalog.services()
    assert services == {"consul": []}
    _, entries = c.health.service("consul")
    assert len(entries) == 1
    entry = entries[0]
    assert entry["Service"]["Port"] == 8300 and entry["Service"]["ID"] == "consul"
    serf = entry["Checks"][0]
    assert serf["CheckID"] == "serfHealth" and serf["Name"] == "Serf Health Status"
    assert (serf["Status"], serf["Output"], serf["ServiceID"], serf["ServiceTags"]) == (
        "passing",
        "Agent alive and reachable",
        "",
        [],
    )
    assert c.agent.services() == {} and c.agent.checks() == {}
    assert c.catalog.datacenters() == ["dc1"]


def test_health_service_shape(client: consul.Consul) -> None:
    """§4.1: Node/Service/Checks, node checks first; Port 0 omitted; Proxy/Connect present."""
    client.agent.service.register("shape-h", service_id="sh1", check=consul.Check.ttl("60s"))
    _, entries = client.health.service("shape-h")
    entry = entries[0]
    assert set(entry) == {"Node", "Service", "Checks"}
    assert set(entry["Node"]) == {
        "ID",
        "Node",
        "Address",
        "Datacenter",
        "TaggedAddresses",
        "Meta",
        "CreateIndex",
        "ModifyIndex",
    }
    svc = entry["Service"]
    assert "Port" not in svc
    assert svc["Tags"] == [] and svc["Meta"] == {} and svc["Weights"] == {"Passing": 1, "Warning": 1}
    assert svc["Proxy"] == {"Mode": "", "MeshGateway": {}, "Expose": {}} and svc["Connect"] == {}
    assert [c["CheckID"] for c in entry["Checks"]] == ["serfHealth", "service:sh1"]


def test_health_service_passing_and_tags(client: consul.Consul, agent_url: str) -> None:
    """§4.1: ?passing drops warning/critical entries; tag is repeatable, AND, case-insensitive."""
    _reg(client, "pt", "pt1", ["Blue", "v1"], "passing")
    _reg(client, "pt", "pt2", ["blue"], "warning")
    _reg(client, "pt", "pt3", ["BLUE", "V1"], None)
    _, all_entries = client.health.service("pt")
    assert [e["Service"]["ID"] for e in all_entries] == ["pt1", "pt2", "pt3"]
    assert [e["Service"]["ID"] for e in client.health.service("pt", passing=True)[1]] == ["pt1"]
    r = httpx.get(f"{agent_url}/v1/health/service/pt", params=[("tag", "blue"), ("tag", "v1")])
    assert sorted(e["Service"]["ID"] for e in r.json()) == ["pt1", "pt3"]
    r = httpx.get(f"{agent_url}/v1/health/service/pt", params={"passing": "nope"})
    assert (r.status_code, r.text) == (400, "Invalid value for ?passing")
    r = httpx.get(f"{agent_url}/v1/health/service/pt", params={"passing": "false"})
    assert len(r.json()) == 3
    assert client.health.service("nonexistent-svc")[1] == []


def test_health_checks_state_node(client: consul.Consul, agent_url: str) -> None:
    """§4.2–§4.4: checks of a service, checks by state (any/passing/...), checks of the node."""
    _reg(client, "hc", "hc1", None, "warning")
    _, checks = client.health.checks("hc")
    assert [(c["CheckID"], c["Status"]) for c in checks] == [("service:hc1", "warning")]
    _, warn = client.health.state("warning")
    assert "service:hc1" in [c["CheckID"] for c in warn]
    _, anyc = client.health.state("any")
    assert "serfHealth" in [c["CheckID"] for c in anyc]
    r = httpx.get(f"{agent_url}/v1/health/state/bogus")
    assert r.status_code == 200 and r.json() == []
    node = client.agent.self()["Config"]["NodeName"]
    _, node_checks = client.health.node(node)
    assert {"serfHealth", "service:hc1"} <= {c["CheckID"] for c in node_checks}
    assert client.health.node("no-such-node")[1] == []
    for path in ("/v1/health/service/", "/v1/health/checks/"):
        r = httpx.get(f"{agent_url}{path}")
        assert (r.status_code, r.text) == (400, "Missing service name")
    r = httpx.get(f"{agent_url}/v1/health/state/")
    assert (r.status_code, r.text) == (400, "Missing check state")


def test_catalog_services_service_nodes_node_and_datacenters(client: consul.Consul, agent_url: str) -> None:
    """§5: catalog services (tag union), service (flattened ServiceNode), nodes, node (null when unknown)."""
    client.agent.service.register("cat", service_id="cat1", tags=["a"], port=81, meta={"m": "1"})
    client.agent.service.register("cat", service_id="cat2", tags=["b", "a"], port=82)
    _, services = client.catalog.services()
    assert sorted(services["cat"]) == ["a", "b"] and services["consul"] == []
    _, nodes = client.catalog.service("cat")
    assert [n["ServiceID"] for n in nodes] == ["cat1", "cat2"]
    first = nodes[0]
    assert (first["ServiceName"], first["ServicePort"], first["ServiceMeta"], first["Address"]) == (
        "cat",
        81,
        {"m": "1"},
        "127.0.0.1",
    )
    assert first["ServiceLocality"] is None and first["ServiceWeights"] == {"Passing": 1, "Warning": 1}
    assert [n["ServiceID"] for n in client.catalog.service("cat", tag="B")[1]] == ["cat2"]
    _, all_nodes = client.catalog.nodes()
    assert len(all_nodes) == 1
    name = all_nodes[0]["Node"]
    _, node = client.catalog.node(name)
    assert "cat1" in node["Services"] and "consul" in node["Services"]
    assert client.catalog.node("ghost")[1] is None
    r = httpx.get(f"{agent_url}/v1/catalog/node/ghost")
    assert (r.status_code, r.text) == (200, "null\n")


def test_unknown_datacenter_and_consistency_conflict(agent_url: str) -> None:
    """§0.5: unknown dc → 500 `No path to datacenter`; ?stale with ?consistent → 400."""
    r = httpx.get(f"{agent_url}/v1/health/service/x", params={"dc": "dc9"})
    assert (r.status_code, r.text) == (500, "No path to datacenter")
    r = httpx.get(f"{agent_url}/v1/catalog/services?stale&consistent")
    assert (r.status_code, r.text) == (400, "Cannot specify ?stale with ?consistent, conflicting semantics.")
    r = httpx.get(f"{agent_url}/v1/catalog/services?stale")
    assert r.headers["X-Consul-Effective-Consistency"] == "stale"


def test_catalog_reads_send_consul_index_and_leader_headers(agent_url: str) -> None:
    """§0.4: catalog-backed reads send X-Consul-Index (≥1), KnownLeader, LastContact; agent ones do not."""
    r = httpx.get(f"{agent_url}/v1/health/service/never-registered")
    assert int(r.headers["X-Consul-Index"]) >= 1
    assert r.headers["X-Consul-KnownLeader"] == "true" and r.headers["X-Consul-LastContact"] == "0"
    assert r.headers["Content-Type"] == "application/json"
    assert r.text == "[]\n"
    r = httpx.get(f"{agent_url}/v1/agent/services")
    assert "X-Consul-Index" not in r.headers
