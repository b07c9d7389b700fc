"""Low-level catalog register/deregister of other nodes (contract §5), via py-consul like its own tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import consul
import httpx
import pytest

from tests.support.processes import dev_agent


@pytest.fixture(scope="module")
def catalog_agent() -> Iterator[tuple[str, consul.Consul]]:
    # Nodes registered here show up in catalog/nodes, so this module gets its own agent.
    with dev_agent() as url:
        yield url, consul.Consul(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))


def test_register_external_node_service_and_check(catalog_agent: tuple[str, consul.Consul]) -> None:
    """§5: catalog/register adds a node, its service and check; health/catalog endpoints show them."""
    url, c = catalog_agent
    assert (
        c.catalog.register(
            "n1",
            "10.1.1.1",
            service={"Service": "s1", "Port": 80, "Tags": ["t"]},
            check={"Name": "c1", "ServiceID": "s1", "Status": "passing"},
            node_meta={"zone": "a"},
        )
        is True
    )
    _, nodes = c.catalog.nodes()
    assert [n["Node"] for n in nodes] == sorted([c.agent.self()["Config"]["NodeName"], "n1"])
    n1 = next(n for n in nodes if n["Node"] == "n1")
    assert n1["Address"] == "10.1.1.1"
    _, node = c.catalog.node("n1")
    assert list(node["Services"]) == ["s1"] and node["Services"]["s1"]["Port"] == 80
    _, entries = c.health.service("s1", passing=True)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["Node"]["Node"] == "n1" and entry["Service"]["ID"] == "s1"
    assert [(ch["CheckID"], ch["Node"], ch["ServiceName"], ch["ServiceTags"]) for ch in entry["Checks"]] == [
        ("c1", "n1", "s1", ["t"]),
    ]
    _, svc_nodes = c.catalog.service("s1")
    assert svc_nodes[0]["Node"] == "n1" and svc_nodes[0]["Address"] == "10.1.1.1"
    _, checks = c.health.node("n1")
    assert [ch["CheckID"] for ch in checks] == ["c1"]
    assert "s1" not in c.agent.services(), "catalog-only entries are not agent services"
    r = httpx.put(f"{url}/v1/catalog/register", json={"Node": "n2"})
    assert (r.status_code, r.text) == (500, "Must provide address if SkipNodeUpdate is not set")
    r = httpx.put(f"{url}/v1/catalog/register", json={"Address": "1.2.3.4"})
    assert (r.status_code, r.text) == (500, "Must provide node")


def test_node_check_affects_only_its_node(catalog_agent: tuple[str, consul.Consul]) -> None:
    """§6.4: a critical node-level check on another node drops only that node's instances from ?passing
    and wakes watchers of services on that node."""
    _, c = catalog_agent
    c.catalog.register("n3", "10.3.3.3", service={"Service": "shared", "ID": "shared-n3"})
    c.agent.service.register("shared", service_id="shared-local")
    assert sorted(e["Service"]["ID"] for e in c.health.service("shared", passing=True)[1]) == [
        "shared-local",
        "shared-n3",
    ]
    index, _ = c.health.service("shared")
    result: dict[str, object] = {}

    def wait() -> None:
        result["r"] = c.health.service("shared", index=index, wait="10s")

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    c.catalog.register("n3", "10.3.3.3", check={"Name": "node-down", "Status": "critical"})
    t.join(timeout=10)
    new_index, entries = result["r"]  # type: ignore[misc]
    assert int(new_index) > int(index)
    assert [e["Service"]["ID"] for e in c.health.service("shared", passing=True)[1]] == ["shared-local"]


def test_deregister_service_check_and_node(catalog_agent: tuple[str, consul.Consul]) -> None:
    """§5: deregister with ServiceID, CheckID, or neither (the whole node); always JSON true."""
    url, c = catalog_agent
    c.catalog.register("n4", "10.4.4.4", service={"Service": "d1"}, check={"Name": "d1c", "ServiceID": "d1"})
    c.catalog.register("n4", "10.4.4.4", service={"Service": "d2"})
    assert c.catalog.deregister("n4", check_id="d1c") is True
    assert c.health.checks("d1")[1] == []
    assert c.catalog.deregister("n4", service_id="d1") is True
    assert c.catalog.service("d1")[1] == []
    assert c.catalog.deregister("n4") is True
    assert c.catalog.node("n4")[1] is None
    assert "d2" not in c.catalog.services()[1]
    r = httpx.put(f"{url}/v1/catalog/deregister", json={"Node": "ghost", "ServiceID": "x"})
    assert (r.status_code, r.json()) == (200, True)
    # the agent's own node and what the agent registered stay (anti-entropy would restore them)
    me = c.agent.self()["Config"]["NodeName"]
    c.agent.service.register("mine")
    assert c.catalog.deregister(me) is True
    assert "mine" in c.catalog.services()[1] and c.catalog.node(me)[1] is not None


def test_alias_check_on_another_node(catalog_agent: tuple[str, consul.Consul]) -> None:
    """§3.6/§5: an alias check with AliasNode follows that node's catalog checks."""
    url, c = catalog_agent
    c.catalog.register(
        "n5",
        "10.5.5.5",
        service={"Service": "s5"},
        check={"Name": "s5c", "ServiceID": "s5", "Status": "passing"},
    )
    body = b'{"Name": "watcher", "Check": {"AliasNode": "n5", "AliasService": "s5"}}'
    assert httpx.put(f"{url}/v1/agent/service/register", content=body).status_code == 200

    def status() -> tuple[str, str]:
        chk = c.agent.checks()["service:watcher"]
        return chk["Status"], chk["Output"]

    deadline = time.monotonic() + 5
    while status() != ("passing", "All checks passing.") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status() == ("passing", "All checks passing.")
    c.catalog.register(
        "n5", "10.5.5.5", check={"Name": "s5c", "ServiceID": "s5", "Status": "critical", "Output": "boom"}
    )
    deadline = time.monotonic() + 5
    while status()[0] != "critical" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status() == ("critical", 'Aliased check "s5c" failing: boom')
