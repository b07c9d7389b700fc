"""Agent service endpoints against a real dev agent process (contract §2), via py-consul and raw HTTP."""

from __future__ import annotations

import consul
import httpx
import pytest


def _put(url: str, path: str, body: bytes | str = b"", **params: str) -> httpx.Response:
    return httpx.put(f"{url}{path}", content=body, params=params)


def test_register_list_get_deregister_via_py_consul(client: consul.Consul) -> None:
    """§2.1/§2.3/§2.4/§2.2: the py-consul lifecycle round-trips with Consul's field names and defaults."""
    assert client.agent.service.register(
        "svc-a", service_id="svc-a-1", port=8080, tags=["x", "Y"], meta={"version": "1"}
    )
    services = client.agent.services()
    assert services["svc-a-1"] == {
        "ID": "svc-a-1",
        "Service": "svc-a",
        "Tags": ["x", "Y"],
        "Meta": {"version": "1"},
        "Port": 8080,
        "Address": "",
        "Weights": {"Passing": 1, "Warning": 1},
        "EnableTagOverride": False,
        "Datacenter": "dc1",
    }
    one = client.agent.service_definition("svc-a-1")
    assert one["ID"] == "svc-a-1" and len(one["ContentHash"]) == 16
    assert "consul" not in services, "the consul service is catalog-only, not an agent service"
    assert client.agent.service.deregister("svc-a-1") is True
    assert "svc-a-1" not in client.agent.services()
    assert client.agent.service.deregister("svc-a-1") is False  # 404 → False


def test_deregister_unknown_message(agent_url: str) -> None:
    """§2.2: unknown ID → 404 with Consul's text."""
    r = _put(agent_url, "/v1/agent/service/deregister/nope")
    assert r.status_code == 404
    assert r.text == 'Unknown service ID "nope". Ensure that the service ID is passed, not the service name.'
    assert r.headers["content-type"].startswith("text/plain")


def test_get_unknown_service(agent_url: str) -> None:
    """§2.4: unknown ID → 404 `unknown service ID: <id>`; a known one sends the hash header."""
    r = httpx.get(f"{agent_url}/v1/agent/service/nope")
    assert (r.status_code, r.text) == (404, "unknown service ID: nope")
    assert _put(agent_url, "/v1/agent/service/register", '{"Name": "hashy"}').status_code == 200
    r = httpx.get(f"{agent_url}/v1/agent/service/hashy")
    assert r.headers["X-Consul-ContentHash"] == r.json()["ContentHash"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"Port": 1}', "Missing service name"),
        ('{"Name": "a", "Address": "0.0.0.0"}', "Invalid service address"),
        (
            '{"Name": "a", "Weights": {"Passing": 0, "Warning": 1}}',
            "Invalid Weights: Passing must be greater than 0",
        ),
        (
            '{"Name": "a", "Weights": {"Passing": 70000, "Warning": 1}}',
            "Invalid Weights: DNS Weight must be between 0 and 65535",
        ),
        (
            '{"Name": "a", "Meta": {"consul-x": "1"}}',
            "Invalid Service Meta: Couldn't load metadata pair ('consul-x', '1'): "
            "Key prefix 'consul-' is reserved for internal use",
        ),
        (
            '{"Name": "a", "Meta": {"a b": "1"}}',
            "Invalid Service Meta: Couldn't load metadata pair ('a b', '1'): Key contains invalid characters",
        ),
        (
            '{"Name": "a", "Check": {"HTTP": "http://x"}}',
            "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks",
        ),
        (
            '{"Name": "a", "Check": {"TTL": "1s", "Interval": "1s"}}',
            "Invalid check: Interval and TTL cannot both be specified",
        ),
        ('{"Name": "a", "Checks": [{}]}', "Invalid check: TTL must be > 0 for TTL checks"),
        (
            '{"Name": "a", "Check": {"TTL": "1s", "Status": "bogus"}}',
            "Status for checks must 'passing', 'warning', 'critical'",
        ),
        (
            '{"Name": "a", "Check": {"TTL": "1s", "FailuresBeforeWarning": 3, "FailuresBeforeCritical": 1}}',
            "Invalid check: FailuresBeforeWarning can't be higher than FailuresBeforeCritical",
        ),
        ('{"Name": "a", "xyz": 1}', 'Request decode failed: json: unknown field "xyz"'),
        (
            '{"Name": "a", "Check": {"TTL": "1s", "script": "x"}}',
            'Request decode failed: json: unknown field "script"',
        ),
        ("", "Request decode failed: EOF"),
        ('{"Name": "a", "Check": {"TTL": "abc"}}', 'Request decode failed: time: invalid duration "abc"'),
        (
            '{"Name": "a", "Port": "80"}',
            "Request decode failed: json: cannot unmarshal string into Go struct field "
            "ServiceDefinition.Port of type int",
        ),
    ],
)
def test_register_validation_errors(agent_url: str, body: str, message: str) -> None:
    """§0.1/§2.1: validation and decode errors are 400 plain text with Consul's exact message."""
    r = _put(agent_url, "/v1/agent/service/register", body)
    assert (r.status_code, r.text) == (400, message)


def test_script_check_disabled_is_500(agent_url: str) -> None:
    """§2.1: script checks with enable_script_checks off fail after validation with 500."""
    r = _put(
        agent_url,
        "/v1/agent/service/register",
        '{"Name": "s", "Check": {"Args": ["/bin/true"], "Interval": "10s"}}',
    )
    assert r.status_code == 500
    assert r.text.startswith("Scripts are disabled on this agent from remote calls")


def test_case_insensitive_fields_and_aliases(agent_url: str) -> None:
    """§0.1: NAME/name/Name all decode; snake_case aliases and nanosecond durations are accepted."""
    body = (
        '{"NAME": "ci", "iD": "ci-1", "enable_tag_override": true, "tagged_addresses": '
        '{"lan": {"address": "10.0.0.1", "port": 1}}, "check": {"ttl": 30000000000, '
        '"deregister_critical_service_after": "90s"}}'
    )
    assert _put(agent_url, "/v1/agent/service/register", body).status_code == 200
    svc = httpx.get(f"{agent_url}/v1/agent/services").json()["ci-1"]
    assert svc["EnableTagOverride"] is True
    assert svc["TaggedAddresses"] == {"lan": {"Address": "10.0.0.1", "Port": 1}}
    check = httpx.get(f"{agent_url}/v1/agent/checks").json()["service:ci-1"]
    assert check["Definition"]["TTL"] == 30_000_000_000  # TTL is a raw time.Duration (ns) in Definition
    assert check["Definition"]["DeregisterCriticalServiceAfter"] == "1m30s"
    assert check["Type"] == "ttl"


def test_tagged_addresses_defaults_for_ipv4(agent_url: str) -> None:
    """§2.1: an IPv4 Address gets lan_ipv4/wan_ipv4 tagged addresses; an invalid explicit one is a 500."""
    assert (
        _put(
            agent_url, "/v1/agent/service/register", '{"Name": "ta", "Address": "10.1.2.3", "Port": 5}'
        ).status_code
        == 200
    )
    svc = httpx.get(f"{agent_url}/v1/agent/services").json()["ta"]
    assert svc["TaggedAddresses"] == {
        "lan_ipv4": {"Address": "10.1.2.3", "Port": 5},
        "wan_ipv4": {"Address": "10.1.2.3", "Port": 5},
    }
    r = _put(
        agent_url,
        "/v1/agent/service/register",
        '{"Name": "tb", "TaggedAddresses": {"lan_ipv4": {"Address": "nope"}}}',
    )
    assert (r.status_code, r.text) == (500, 'Service tagged address "lan_ipv4" must be a valid ipv4 address')


def test_check_naming_single_and_multiple(client: consul.Consul) -> None:
    """§2.1: one anonymous check → service:<id>; several → service:<id>:1.. in order; default name."""
    client.agent.service.register("nm", service_id="nm1", check=consul.Check.ttl("30s"))
    client.agent.service.register(
        "nm", service_id="nm2", check=consul.Check.ttl("30s"), extra_checks=[consul.Check.ttl("60s")]
    )
    checks = client.agent.checks()
    assert checks["service:nm1"]["Name"] == "Service 'nm' check"
    assert checks["service:nm1"]["Status"] == "critical"
    assert checks["service:nm2:1"]["Definition"]["TTL"] == 30_000_000_000
    assert checks["service:nm2:2"]["Definition"]["TTL"] == 60_000_000_000
    assert "service:nm2" not in checks


def test_reregister_keeps_status_output_and_old_checks(client: consul.Consul, agent_url: str) -> None:
    """§2.1: re-registration keeps check Status/Output (even over an explicit Status) and keeps absent checks
    unless replace-existing-checks."""
    client.agent.service.register("rr", service_id="rr1", check=consul.Check.ttl("30s"))
    client.agent.check.ttl_pass("service:rr1", "all good")
    body = '{"Name": "rr", "ID": "rr1", "Tags": ["v2"], "Check": {"TTL": "30s", "Status": "critical"}}'
    assert _put(agent_url, "/v1/agent/service/register", body).status_code == 200
    check = client.agent.checks()["service:rr1"]
    assert (check["Status"], check["Output"]) == ("passing", "all good")
    assert client.agent.services()["rr1"]["Tags"] == ["v2"]
    # going from 1 to 2 anonymous checks renames them; the old one survives without the flag ...
    two = '{"Name": "rr", "ID": "rr1", "Checks": [{"TTL": "30s"}, {"TTL": "30s"}]}'
    assert _put(agent_url, "/v1/agent/service/register", two).status_code == 200
    assert {"service:rr1", "service:rr1:1", "service:rr1:2"} <= set(client.agent.checks())
    # ... and is removed with replace-existing-checks (value "1" is ignored, "" and "true" count)
    assert (
        _put(agent_url, "/v1/agent/service/register", two, **{"replace-existing-checks": "1"}).status_code
        == 200
    )
    assert "service:rr1" in client.agent.checks()
    assert client.agent.service.register(
        "rr",
        service_id="rr1",
        check=consul.Check.ttl("30s"),
        extra_checks=[consul.Check.ttl("30s")],
        replace_existing_checks=True,
    )
    ids = {c for c in client.agent.checks() if c.startswith("service:rr1")}
    assert ids == {"service:rr1:1", "service:rr1:2"}


def test_identical_reregistration_does_not_bump_index(client: consul.Consul) -> None:
    """§2.1: an identical re-registration leaves the catalog index alone; a real change bumps it."""
    client.agent.service.register("same", service_id="same1", port=1)
    idx1, _ = client.health.service("same")
    client.agent.service.register("same", service_id="same1", port=1)
    idx2, _ = client.health.service("same")
    client.agent.service.register("same", service_id="same1", port=2)
    idx3, entries = client.health.service("same")
    assert idx1 == idx2 and int(idx3) > int(idx2)
    assert entries[0]["Service"]["Port"] == 2


def test_service_maintenance_adds_and_removes_its_critical_check(
    client: consul.Consul, agent_url: str
) -> None:
    """§2.5: maintenance adds a critical _service_maintenance:<id> check (default notes); off removes it."""
    client.agent.service.register("mt", service_id="mt1", check=consul.Check.ttl("30s"))
    client.agent.check.ttl_pass("service:mt1")
    assert len(client.health.service("mt", passing=True)[1]) == 1
    assert client.agent.service.maintenance("mt1", "true")
    check = client.agent.checks()["_service_maintenance:mt1"]
    assert (check["Name"], check["Status"], check["Type"]) == (
        "Service Maintenance Mode",
        "critical",
        "maintenance",
    )
    assert check["Notes"].startswith(
        "Maintenance mode is enabled for this service, but no reason was provided."
    )
    assert client.health.service("mt", passing=True)[1] == []
    assert client.agent.service.maintenance("mt1", "false")
    assert "_service_maintenance:mt1" not in client.agent.checks()
    assert len(client.health.service("mt", passing=True)[1]) == 1
    r = _put(agent_url, "/v1/agent/service/maintenance/mt1")
    assert (r.status_code, r.text) == (400, "Missing value for enable")
    r = _put(agent_url, "/v1/agent/service/maintenance/mt1", enable="maybe")
    assert (r.status_code, r.text) == (400, 'Invalid value for enable: "maybe"')
    r = _put(agent_url, "/v1/agent/service/maintenance/zzz", enable="true")
    assert (r.status_code, r.text) == (404, 'No service registered with ID "zzz"')


def test_node_maintenance_makes_all_non_passing(fresh_agent_url: str) -> None:
    """§2.5: node maintenance (_node_maintenance) drops every service from ?passing; reason → Notes."""
    c = consul.Consul(host="127.0.0.1", port=int(fresh_agent_url.rsplit(":", 1)[1]))
    c.agent.service.register("nmx", check=consul.Check.ttl("30s"))
    c.agent.check.ttl_pass("service:nmx")
    assert len(c.health.service("nmx", passing=True)[1]) == 1
    assert c.agent.maintenance("true", "upgrade")
    entries = c.health.service("nmx")[1]
    node_check = next(ch for ch in entries[0]["Checks"] if ch["CheckID"] == "_node_maintenance")
    assert (node_check["Name"], node_check["Notes"], node_check["ServiceID"]) == (
        "Node Maintenance Mode",
        "upgrade",
        "",
    )
    assert c.health.service("nmx", passing=True)[1] == []
    assert c.agent.maintenance("false")
    assert len(c.health.service("nmx", passing=True)[1]) == 1


def test_percent_encoded_ids_are_decoded(client: consul.Consul) -> None:
    """§10: py-consul percent-encodes IDs in paths; the agent decodes them."""
    client.agent.service.register("odd name", service_id="odd id#1")
    assert "odd id#1" in client.agent.services()
    assert [e["Service"]["ID"] for e in client.health.service("odd name")[1]] == ["odd id#1"]
    assert client.agent.service.deregister("odd id#1") is True


def test_wrong_method_is_405_and_options_lists_allowed_methods(agent_url: str) -> None:
    """§0.3: wrong method → 405 `method GET not allowed` with Allow; OPTIONS → 200 with Allow."""
    r = httpx.get(f"{agent_url}/v1/agent/service/register")
    assert (r.status_code, r.text, r.headers["allow"]) == (405, "method GET not allowed", "OPTIONS,PUT")
    r = httpx.options(f"{agent_url}/v1/agent/service/register")
    assert (r.status_code, r.headers["allow"]) == (200, "OPTIONS,PUT")
