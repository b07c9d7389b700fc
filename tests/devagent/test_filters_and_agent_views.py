"""filter= (§0.5, §2.3, §4.1, §5), hash blocking (§2.4), agent health (§2.6), script checks (§3.6)."""

from __future__ import annotations

import threading
import time

import consul
import httpx

from tests.devagent.support import check_status, wait_for
from tests.support.processes import dev_agent


def test_filter_on_agent_health_and_catalog(client: consul.Consul, agent_url: str) -> None:
    """§0.5: py-consul's filter_expr is applied by agent services, health service and catalog endpoints."""
    client.agent.service.register("flt", service_id="flt-prod", tags=["x"], meta={"env": "prod"})
    client.agent.service.register("flt", service_id="flt-dev", meta={"env": "dev"})
    services = client.agent.services(filter_expr='Meta.env == "prod" and Service == flt')
    assert list(services) == ["flt-prod"]
    _, entries = client.health.service("flt", filter_expr='Service.Meta.env == "dev"')
    assert [e["Service"]["ID"] for e in entries] == ["flt-dev"]
    _, nodes = client.catalog.service("flt", filter_expr="x in ServiceTags")
    assert [n["ServiceID"] for n in nodes] == ["flt-prod"]
    r = httpx.get(f"{agent_url}/v1/agent/services", params={"filter": "Service =="})
    assert r.status_code == 400 and r.text.startswith("Failed to create boolean expression evaluator")


def test_agent_service_hash_blocking(client: consul.Consul, agent_url: str) -> None:
    """§2.4: ?hash=<ContentHash>&wait blocks until the service definition changes."""
    client.agent.service.register("hb", service_id="hb1", port=1)
    first = httpx.get(f"{agent_url}/v1/agent/service/hb1").json()

    def change() -> None:
        time.sleep(0.3)
        client.agent.service.register("hb", service_id="hb1", port=2)

    t = threading.Thread(target=change, daemon=True)
    t.start()
    t0 = time.monotonic()
    r = httpx.get(f"{agent_url}/v1/agent/service/hb1", params={"hash": first["ContentHash"], "wait": "10s"})
    t.join()
    assert time.monotonic() - t0 >= 0.25
    assert r.json()["Port"] == 2 and r.json()["ContentHash"] != first["ContentHash"]
    t0 = time.monotonic()
    r2 = httpx.get(
        f"{agent_url}/v1/agent/service/hb1", params={"hash": r.json()["ContentHash"], "wait": "300ms"}
    )
    assert time.monotonic() - t0 >= 0.3 and r2.json()["ContentHash"] == r.json()["ContentHash"]


def test_agent_health_endpoints(client: consul.Consul, agent_url: str) -> None:
    """§2.6: aggregated status with 200/429/503 and text format; maintenance wins."""
    client.agent.service.register("ah", service_id="ah1", check=consul.Check.ttl("60s"))
    client.agent.check.ttl_pass("service:ah1")
    r = httpx.get(f"{agent_url}/v1/agent/health/service/id/ah1")
    assert r.status_code == 200 and r.json()["AggregatedStatus"] == "passing"
    client.agent.check.ttl_warn("service:ah1")
    r = httpx.get(f"{agent_url}/v1/agent/health/service/name/ah", params={"format": "text"})
    assert (r.status_code, r.text) == (429, "warning")
    client.agent.service.maintenance("ah1", "true")
    r = httpx.get(f"{agent_url}/v1/agent/health/service/id/ah1")
    assert r.status_code == 503 and r.json()["AggregatedStatus"] == "maintenance"
    r = httpx.get(f"{agent_url}/v1/agent/health/service/id/none")
    assert r.status_code == 404
    assert r.json() == {"AggregatedStatus": "critical", "Checks": None, "Service": None}
    r = httpx.get(f"{agent_url}/v1/agent/health/service/name/none", headers={"Accept": "text/plain"})
    assert (r.status_code, r.text) == (404, "ServiceName none Not Found")


def test_script_checks_when_enabled() -> None:
    """§3.6: with --enable-script-checks: exit 0 → passing, 1 → warning, other → critical; output kept."""
    with dev_agent(None, "--enable-script-checks", "--immediate-first-check") as url:
        for name, code, status in (("s0", 0, "passing"), ("s1", 1, "warning"), ("s2", 2, "critical")):
            body = (
                f'{{"Name": "{name}", "Check": {{"Args": ["sh", "-c", "echo out-{code}; exit {code}"], '
                '"Interval": "10s"}}'
            )
            assert httpx.put(f"{url}/v1/agent/service/register", content=body.encode()).status_code == 200
            wait_for(
                lambda n=name, s=status, c=code: check_status(url, f"service:{n}") == (s, f"out-{c}\n"),
                what=f"script {name}",
            )
