"""Sessions (/v1/session/*) against a real dev agent, through py-consul and raw HTTP.

Consul sources followed: agent/session_endpoint.go, agent/consul/session_endpoint.go,
agent/consul/state/session.go, agent/consul/session_ttl.go and website/content/api-docs/session.mdx.
"""

from __future__ import annotations

import threading
import time

import consul
import httpx
import pytest

from tests.devagent.support import wait_for


def _node(agent_url: str) -> str:
    return str(httpx.get(f"{agent_url}/v1/agent/self").json()["Config"]["NodeName"])


def test_create_defaults_match_consul(client: consul.Consul, agent_url: str) -> None:
    """No body: the agent's node, serfHealth, 15 s lock delay, release, no TTL."""
    r = httpx.put(f"{agent_url}/v1/session/create")
    assert r.status_code == 200 and set(r.json()) == {"ID"}
    sid = r.json()["ID"]
    _, info = client.session.info(sid)
    assert info == {
        "ID": sid,
        "Name": "",
        "Node": _node(agent_url),
        "LockDelay": 15_000_000_000,
        "Behavior": "release",
        "TTL": "",
        "NodeChecks": ["serfHealth"],
        "ServiceChecks": None,
        "CreateIndex": info["CreateIndex"],
        "ModifyIndex": info["CreateIndex"],
    }
    assert client.session.destroy(sid) is True


def test_create_with_fields_list_node_and_destroy(client: consul.Consul, agent_url: str) -> None:
    """py-consul's create fields round-trip; list and node list it; destroy removes it (idempotent)."""
    sid = client.session.create(name="lock-a", behavior="delete", ttl=10, lock_delay=3, checks=[])
    _, info = client.session.info(sid)
    assert (info["Name"], info["Behavior"], info["TTL"], info["LockDelay"]) == (
        "lock-a",
        "delete",
        "10s",
        3e9,
    )
    assert info["NodeChecks"] is None
    _, listed = client.session.list()
    assert sid in {s["ID"] for s in listed}
    _, mine = client.session.node(_node(agent_url))
    assert sid in {s["ID"] for s in mine}
    _, other = client.session.node("no-such-node")
    assert other == []
    assert client.session.destroy(sid) is True
    assert client.session.destroy(sid) is True
    assert client.session.info(sid)[1] is None
    assert httpx.get(f"{agent_url}/v1/session/info/{sid}").json() == []


def test_lock_delay_numbers_below_1000_are_seconds(agent_url: str) -> None:
    """agent/session_endpoint.go lockDelayMinThreshold: 5 means 5 s, "500ms" stays 500 ms."""
    for given, expected in ((5, 5_000_000_000), ("500ms", 500_000_000), (2_000_000_000, 2_000_000_000)):
        sid = httpx.put(f"{agent_url}/v1/session/create", json={"LockDelay": given}).json()["ID"]
        assert httpx.get(f"{agent_url}/v1/session/info/{sid}").json()[0]["LockDelay"] == expected
        httpx.put(f"{agent_url}/v1/session/destroy/{sid}")


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"Behavior": "keep"}, 500, "Invalid Behavior setting 'keep'"),
        ({"TTL": "5x"}, 500, 'Session TTL \'5x\' invalid: time: unknown unit "x" in duration "5x"'),
        ({"TTL": "100ms"}, 500, "Invalid Session TTL '100000000', must be between [1s=24h0m0s]"),
        ({"TTL": "25h"}, 500, "Invalid Session TTL '90000000000000', must be between [1s=24h0m0s]"),
        ({"Node": "ghost"}, 500, "Missing node registration"),
        ({"Checks": ["nope"]}, 500, "Missing check 'nope' registration"),
        ({"Bogus": 1}, 400, 'Request decode failed: json: unknown field "Bogus"'),
        ({"LockDelay": "soon"}, 400, 'Request decode failed: time: invalid duration "soon"'),
    ],
)
def test_create_errors_use_consul_texts(
    agent_url: str, body: dict[str, object], status: int, text: str
) -> None:
    r = httpx.put(f"{agent_url}/v1/session/create", json=body)
    assert (r.status_code, r.text) == (status, text)


def test_missing_ids_and_unknown_renew(agent_url: str) -> None:
    """Empty IDs are 400s; renewing an unknown session is 404 with Consul's text."""
    assert httpx.put(f"{agent_url}/v1/session/destroy/").text == "Missing session"
    assert httpx.get(f"{agent_url}/v1/session/info/").status_code == 400
    assert httpx.get(f"{agent_url}/v1/session/node/").text == "Missing node name"
    r = httpx.put(f"{agent_url}/v1/session/renew/abc")
    assert (r.status_code, r.text) == (404, "Session id 'abc' not found")
    assert httpx.get(f"{agent_url}/v1/session/list").status_code == 200
    assert httpx.post(f"{agent_url}/v1/session/create").status_code == 405


def test_ttl_session_expires_after_twice_the_ttl_unless_renewed(client: consul.Consul) -> None:
    """session_ttl.go: the timer fires at TTL × 2; a renew restarts it and returns the session."""
    # py-consul refuses ttl < 10, so the short TTL (allowed by --session-ttl-min 1s) goes raw
    r = httpx.put(f"{_agent(client)}/v1/session/create", json={"TTL": "1s", "Checks": []})
    sid = r.json()["ID"]
    start = time.monotonic()
    for _ in range(3):  # renewing every 0.8 s keeps it alive past 2 × TTL
        time.sleep(0.8)
        renewed = client.session.renew(sid)
        assert renewed["ID"] == sid and renewed["TTL"] == "1s"
    assert time.monotonic() - start > 2.0
    renewed_at = time.monotonic()
    wait_for(lambda: client.session.info(sid)[1] is None, timeout=5, what="session expired")
    elapsed = time.monotonic() - renewed_at
    assert 1.5 < elapsed < 3.5, elapsed  # ≈ 2 × TTL after the last renew, never before TTL


def _agent(client: consul.Consul) -> str:
    return f"http://127.0.0.1:{client.http.port}"


def test_blocking_list_wakes_on_create(client: consul.Consul, agent_url: str) -> None:
    index, _ = client.session.list()
    r0 = time.monotonic()

    def later() -> None:
        time.sleep(0.3)
        httpx.put(f"{agent_url}/v1/session/create", json={"Checks": []})

    threading.Thread(target=later).start()
    new_index, sessions = client.session.list(index=index, wait="5s")
    assert int(new_index) > int(index) and time.monotonic() - r0 < 4
    for s in sessions:
        client.session.destroy(s["ID"])


def test_check_turning_critical_invalidates_its_sessions(client: consul.Consul, agent_url: str) -> None:
    """state/catalog.go: a session bound to a check is destroyed when the check turns critical;
    a critical check refuses new sessions."""
    client.agent.check.register("sess-ttl-check", check=consul.Check.ttl("30s"))
    client.agent.check.ttl_pass("sess-ttl-check")
    sid = client.session.create(checks=["serfHealth", "sess-ttl-check"])
    _, info = client.session.info(sid)
    assert info["NodeChecks"] == ["serfHealth", "sess-ttl-check"]
    client.agent.check.ttl_fail("sess-ttl-check")
    wait_for(lambda: client.session.info(sid)[1] is None, what="session invalidated")
    r = httpx.put(f"{agent_url}/v1/session/create", json={"NodeChecks": ["sess-ttl-check"]})
    assert (r.status_code, r.text) == (500, "Check 'sess-ttl-check' is in critical state")
    client.agent.check.deregister("sess-ttl-check")


def test_service_check_deregistration_invalidates_sessions(client: consul.Consul, agent_url: str) -> None:
    client.agent.service.register("sess-svc", service_id="sess-svc-1", check=consul.Check.ttl("30s"))
    client.agent.check.ttl_pass("service:sess-svc-1")
    r = httpx.put(f"{agent_url}/v1/session/create", json={"ServiceChecks": [{"ID": "service:sess-svc-1"}]})
    sid = r.json()["ID"]
    info = httpx.get(f"{agent_url}/v1/session/info/{sid}").json()[0]
    assert info["ServiceChecks"] == [{"ID": "service:sess-svc-1", "Namespace": ""}]
    assert info["NodeChecks"] == ["serfHealth"]  # the default stays unless Checks/NodeChecks is given
    client.agent.service.deregister("sess-svc-1")
    assert httpx.get(f"{agent_url}/v1/session/info/{sid}").json() == []
