"""Agent check endpoints (contract §3.1–§3.5) against a real dev agent process."""

from __future__ import annotations

from collections.abc import Iterator

import consul
import httpx
import pytest

from tests.devagent.support import FAST_FLAGS
from tests.support.processes import dev_agent


# Node-level checks registered here (no ServiceID) affect every service's health on the node, so this
# module gets its own agent instead of the shared session one.
@pytest.fixture(scope="module")
def agent_url() -> Iterator[str]:
    with dev_agent(None, *FAST_FLAGS) as url:
        yield url


@pytest.fixture(scope="module")
def client(agent_url: str) -> consul.Consul:
    return consul.Consul(host="127.0.0.1", port=int(agent_url.rsplit(":", 1)[1]))


def _put(url: str, path: str, body: str = "", **params: str) -> httpx.Response:
    return httpx.put(f"{url}{path}", content=body.encode(), params=params)


def test_register_ttl_check_and_pass_warn_fail(client: consul.Consul) -> None:
    """§3.1/§3.3: ID defaults to Name, initial critical; pass/warn/fail set Status and Output (= note)."""
    assert client.agent.check.register("chk-a", consul.Check.ttl("30s"), notes="some notes")
    check = client.agent.checks()["chk-a"]
    assert (check["Status"], check["Notes"], check["Output"], check["Type"]) == (
        "critical",
        "some notes",
        "",
        "ttl",
    )
    assert check["ServiceTags"] == [] and check["ServiceID"] == ""
    client.agent.check.ttl_pass("chk-a", "p")
    assert client.agent.checks()["chk-a"]["Status"] == "passing"
    assert client.agent.checks()["chk-a"]["Output"] == "p"
    client.agent.check.ttl_warn("chk-a", "w")
    assert client.agent.checks()["chk-a"]["Status"] == "warning"
    client.agent.check.ttl_fail("chk-a")
    assert (client.agent.checks()["chk-a"]["Status"], client.agent.checks()["chk-a"]["Output"]) == (
        "critical",
        "",
    )
    assert client.agent.check.deregister("chk-a")
    assert "chk-a" not in client.agent.checks()


def test_check_for_service_inherits_name_and_tags(client: consul.Consul) -> None:
    """§3.1: a check attached to a service gets ServiceName and ServiceTags."""
    client.agent.service.register("cs", service_id="cs1", tags=["t1"])
    assert client.agent.check.register(
        "cs-extra", consul.Check.ttl("30s"), check_id="cs-extra-id", service_id="cs1"
    )
    check = client.agent.checks()["cs-extra-id"]
    assert (check["ServiceID"], check["ServiceName"], check["ServiceTags"]) == ("cs1", "cs", ["t1"])


def test_check_register_errors(agent_url: str) -> None:
    """§3.1: missing name 400, bad status 400, unknown service 404, invalid type 400."""
    r = _put(agent_url, "/v1/agent/check/register", '{"TTL": "10s"}')
    assert (r.status_code, r.text) == (400, "Missing check name")
    r = _put(agent_url, "/v1/agent/check/register", '{"Name": "x", "TTL": "10s", "Status": "meh"}')
    assert (r.status_code, r.text) == (400, "Bad check status")
    r = _put(agent_url, "/v1/agent/check/register", '{"Name": "x", "TTL": "10s", "ServiceID": "ghost"}')
    assert (r.status_code, r.text) == (404, 'ServiceID "ghost" does not exist')
    r = _put(agent_url, "/v1/agent/check/register", '{"Name": "x"}')
    assert (r.status_code, r.text) == (400, "Invalid check: TTL must be > 0 for TTL checks")


def test_reregister_check_restores_status(agent_url: str, client: consul.Consul) -> None:
    """§3.1: re-registering a check ID keeps its previous Status/Output."""
    assert client.agent.check.register("rc", consul.Check.ttl("30s"))
    client.agent.check.ttl_warn("rc", "hmm")
    assert (
        _put(
            agent_url, "/v1/agent/check/register", '{"Name": "rc", "TTL": "60s", "Status": "passing"}'
        ).status_code
        == 200
    )
    check = client.agent.checks()["rc"]
    assert (check["Status"], check["Output"], check["Definition"]["TTL"]) == (
        "warning",
        "hmm",
        60_000_000_000,
    )


def test_deregister_and_ttl_update_unknown(agent_url: str) -> None:
    """§3.2/§3.3: unknown check → 404 with Consul's text."""
    expected = 'Unknown check ID "zz". Ensure that the check ID is passed, not the check name.'
    for path in ("/v1/agent/check/deregister/zz", "/v1/agent/check/pass/zz"):
        r = _put(agent_url, path)
        assert (r.status_code, r.text) == (404, expected)


def test_ttl_update_on_non_ttl_check_is_500(agent_url: str, client: consul.Consul) -> None:
    """§3.3: pass on an HTTP check → 500 `CheckID "<id>" does not have associated TTL`."""
    assert client.agent.check.register("httpc", consul.Check.http("http://127.0.0.1:1/", "30s"))
    r = _put(agent_url, "/v1/agent/check/pass/httpc")
    assert (r.status_code, r.text) == (500, 'CheckID "httpc" does not have associated TTL')


def test_output_truncated_at_4096_bytes(agent_url: str, client: consul.Consul) -> None:
    """§3.3: notes longer than 4096 bytes are truncated with the `... (captured 4096 of N bytes)` suffix."""
    assert client.agent.check.register("big", consul.Check.ttl("30s"))
    note = "x" * 5000
    assert _put(agent_url, "/v1/agent/check/pass/big", note=note).status_code == 200
    assert client.agent.checks()["big"]["Output"] == "x" * 4096 + " ... (captured 4096 of 5000 bytes)"


def test_update_endpoint_sets_status_and_output(agent_url: str, client: consul.Consul) -> None:
    """§3.4: update with Status/Output; invalid status → 400 `Invalid check status: '<x>'`."""
    assert client.agent.check.register("upd", consul.Check.ttl("30s"))
    assert (
        _put(agent_url, "/v1/agent/check/update/upd", '{"Status": "warning", "Output": "o"}').status_code
        == 200
    )
    check = client.agent.checks()["upd"]
    assert (check["Status"], check["Output"]) == ("warning", "o")
    r = _put(agent_url, "/v1/agent/check/update/upd", '{"Status": "ok"}')
    assert (r.status_code, r.text) == (400, "Invalid check status: 'ok'")
    r = _put(agent_url, "/v1/agent/check/update/upd", "")
    assert (r.status_code, r.text) == (400, "Request decode failed: EOF")


def test_checks_list_has_consul_fields(client: consul.Consul) -> None:
    """§3.5: HealthCheck JSON carries every documented field; HTTP definition fields are kept."""
    client.agent.service.register(
        "shape", check=consul.Check.http("http://127.0.0.1:1/h", "15s", timeout="2s", header={"X-A": ["1"]})
    )
    check = client.agent.checks()["service:shape"]
    assert set(check) == {
        "Node",
        "CheckID",
        "Name",
        "Status",
        "Notes",
        "Output",
        "ServiceID",
        "ServiceName",
        "ServiceTags",
        "Type",
        "Interval",
        "Timeout",
        "ExposedPort",
        "Definition",
        "CreateIndex",
        "ModifyIndex",
    }
    assert (check["Type"], check["Interval"], check["Timeout"]) == ("http", "15s", "2s")
    assert check["Definition"] == {
        "HTTP": "http://127.0.0.1:1/h",
        "Header": {"X-A": ["1"]},
        "Interval": "15s",
        "Timeout": "2s",
    }
