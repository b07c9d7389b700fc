"""Status, self/members, ACL-disabled, unknown paths, pretty JSON and the UI (contract §0, §7, §9, §12)."""

from __future__ import annotations

import consul
import httpx
from packaging.version import Version


def test_status_leader_and_peers(client: consul.Consul, agent_url: str) -> None:
    """§7/§0.2: leader is "127.0.0.1:8300", peers lists it; indented like dev mode by default."""
    assert client.status.leader() == "127.0.0.1:8300"
    assert client.status.peers() == ["127.0.0.1:8300"]
    r = httpx.get(f"{agent_url}/v1/status/peers")
    assert r.text == '[\n    "127.0.0.1:8300"\n]\n'
    assert "X-Consul-Index" not in r.headers


def test_agent_self_and_members(client: consul.Consul) -> None:
    """§7: self has exactly the documented keys; Stats.consul.leader_addr = leader; members contain Member."""
    me = client.agent.self()
    assert set(me) == {"Config", "DebugConfig", "Coord", "Member", "Stats", "Meta", "xDS"}
    assert Version(me["Config"]["Version"]) >= Version("1.20")
    assert me["Config"]["Datacenter"] == "dc1" and me["Config"]["Server"] is True
    assert me["Stats"]["consul"]["leader_addr"] == client.status.leader()
    assert me["Member"]["Status"] == 1 and me["Member"]["Tags"]["role"] == "consul"
    assert me["Member"] in client.agent.members()
    wan = client.agent.members(wan=True)
    assert wan[0]["Name"] == f"{me['Config']['NodeName']}.dc1"


def test_acl_disabled_and_tokens_ignored(agent_url: str) -> None:
    """§9: ACL endpoints → 401 `ACL support disabled`; any token is accepted on normal endpoints."""
    r = httpx.get(f"{agent_url}/v1/acl/tokens")
    assert (r.status_code, r.text) == (401, "ACL support disabled")
    r = httpx.get(f"{agent_url}/v1/agent/services", headers={"X-Consul-Token": "anything"})
    assert r.status_code == 200


def test_unknown_paths_get_consul_404_texts(agent_url: str) -> None:
    """§0.3: unknown /v1/ path and non-API path → 404 with the two documented messages."""
    r = httpx.get(f"{agent_url}/v1/nope")
    assert (r.status_code, r.text) == (404, "Invalid URL path: not a recognized HTTP API endpoint\n")
    r = httpx.get(f"{agent_url}/nope")
    assert r.status_code == 404
    assert (
        r.text == "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
    )


def test_go_html_escaping(client: consul.Consul, agent_url: str) -> None:
    """§0.2: JSON is encoded like Go (<, >, & escaped as \\u003c...)."""
    client.agent.service.register("esc", meta={"k": "<a&b>"})
    r = httpx.get(f"{agent_url}/v1/agent/services")
    assert '"k": "\\u003ca\\u0026b\\u003e"' in r.text  # indented: a space after the colon
    assert r.json()["esc"]["Meta"]["k"] == "<a&b>"


def test_ui_page_and_root_redirect(agent_url: str, client: consul.Consul) -> None:
    """§12: / redirects to /ui/; /ui and /ui/ serve a self-refreshing read-only page over the JSON API."""
    r = httpx.get(f"{agent_url}/")
    assert (r.status_code, r.headers["Location"]) == (301, "/ui/")
    for path in ("/ui", "/ui/"):
        r = httpx.get(f"{agent_url}{path}")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert "/v1/catalog/services" in r.text and "/v1/health/service/" in r.text
        assert "setInterval(refresh, 2000)" in r.text


def test_dev_mode_indents_by_default_and_no_pretty_is_compact() -> None:
    """§0.2: like `consul agent -dev`, every body is indented with 4 spaces and ends with a newline;
    --no-pretty sends compact JSON (a non-dev agent) and ?pretty still indents one response."""
    from tests.support.processes import dev_agent

    with dev_agent() as url:
        r = httpx.get(f"{url}/v1/catalog/services")
        assert r.text == '{\n    "consul": []\n}\n'
    with dev_agent(None, "--no-pretty") as url:
        assert httpx.get(f"{url}/v1/status/peers").text == '["127.0.0.1:8300"]\n'
        assert httpx.get(f"{url}/v1/status/peers?pretty").text == '[\n    "127.0.0.1:8300"\n]\n'
