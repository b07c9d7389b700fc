"""Flows shared through Consul KV: two real gateway processes against one dev agent."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ServiceProcess, free_port, wait_until

from .conftest import SHIPPED_FLOWS, TOKEN, echo_process, gateway_process, start_all

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PREFIX = "consul-gateway/flows/"


def _flow(endpoint: str, text: str = "") -> dict[str, object]:
    return {
        "endpoint": endpoint,
        "description": text,
        "nodes": {"echo": {"service": "echo-service", "endpoint": "/echo"}},
    }


@pytest.fixture(scope="module")
def pair(
    module_consul_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, ServiceProcess]]:
    """(gateway A url, gateway B url, gateway A process); shipped echo flow as the only file."""
    flows_dir: Path = tmp_path_factory.mktemp("shared-flows")
    shutil.copy(SHIPPED_FLOWS / "echo.yaml", flows_dir / "echo.yaml")
    ports = [free_port(), free_port()]
    gateways = [gateway_process(module_consul_url, p, flows_dir) for p in ports]
    procs = [echo_process(module_consul_url, free_port()), *gateways]
    start_all(procs)
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url in urls:
            wait_until(
                lambda u=url: httpx.get(f"{u}/svc/echo-service/health").status_code == 200,
                20,
                what="echo routed",
            )
        yield urls[0], urls[1], gateways[0]
    finally:
        for proc in reversed(procs):
            proc.stop()


def _served(url: str, name: str) -> bool:
    return httpx.get(f"{url}/api/flows/{name}", timeout=2).status_code == 200


def test_flow_put_on_one_gateway_is_served_by_the_other_within_a_second(
    pair: tuple[str, str, ServiceProcess],
) -> None:
    a, b, _ = pair
    resp = httpx.put(f"{a}/api/flows/shared1", json=_flow("/shared1"), headers=AUTH, timeout=10)
    assert resp.status_code == 201, resp.text
    t0 = time.monotonic()
    wait_until(lambda: _served(b, "shared1"), timeout=1.0, interval=0.01, what="flow served by B")
    assert time.monotonic() - t0 < 1.0
    # B runs it on its endpoint too (a route it never saw a PUT for)
    run = httpx.post(f"{b}/shared1", json={"text": "hi"}, timeout=10)
    assert run.status_code == 200, run.text
    version = httpx.get(f"{b}/api/flows/shared1").json()["version"]
    assert version > 0 and httpx.get(f"{a}/api/flows/shared1").json()["version"] == version

    # a change on B reaches A the same way
    assert httpx.put(f"{b}/api/flows/shared1", json=_flow("/shared1", "v2"), headers=AUTH).status_code == 200
    wait_until(
        lambda: httpx.get(f"{a}/api/flows/shared1").json()["description"] == "v2",
        timeout=1.0,
        interval=0.01,
        what="change served by A",
    )


def _race(urls: tuple[str, str], name: str, tag: str, headers: dict[str, str] | None = None) -> list[int]:
    """PUT flow ``name`` on both gateways at the same moment (warm connections); both statuses."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    clients = [httpx.Client(base_url=u, headers={**AUTH, **(headers or {})}, timeout=10) for u in urls]
    for c in clients:
        c.get("/health")  # open the connection before the race

    def put(client: httpx.Client) -> None:
        barrier.wait()
        r = client.put(f"/api/flows/{name}", json=_flow(f"/{name}", f"{client.base_url}-{tag}"))
        statuses.append(r.status_code)

    threads = [threading.Thread(target=put, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    return sorted(statuses)


def _same_version(a: str, b: str, name: str) -> bool:
    return bool(
        httpx.get(f"{a}/api/flows/{name}").json()["version"]
        == httpx.get(f"{b}/api/flows/{name}").json()["version"]
    )


def test_concurrent_puts_on_two_gateways_one_wins_the_other_gets_409(
    pair: tuple[str, str, ServiceProcess],
) -> None:
    a, b, _ = pair
    # Both writers base their change on the same version (If-Match; 0 = "create, it is absent"),
    # so exactly one wins whatever the timing. Without If-Match a gateway uses the version it
    # served when the request arrived: the same outcome unless one write lands before the
    # other request arrives (then that one is a later, informed replace).
    assert _race((a, b), "race", "create", {"If-Match": "0"}) == [201, 409]
    wait_until(lambda: _same_version(a, b, "race"), timeout=1.0, what="same version on both")
    version = httpx.get(f"{a}/api/flows/race").json()["version"]
    assert _race((a, b), "race", "replace", {"If-Match": str(version)}) == [200, 409]
    wait_until(lambda: _same_version(a, b, "race"), timeout=1.0, what="same version on both")


def test_if_match_on_a_stale_version_is_409(pair: tuple[str, str, ServiceProcess]) -> None:
    a, _, _ = pair
    created = httpx.put(f"{a}/api/flows/cas1", json=_flow("/cas1"), headers=AUTH)
    assert created.status_code in (200, 201)
    version = created.json()["version"]
    stale = httpx.put(f"{a}/api/flows/cas1", json=_flow("/cas1"), headers={**AUTH, "If-Match": "1"})
    assert stale.status_code == 409 and "another writer" in stale.json()["detail"]
    ok = httpx.put(
        f"{a}/api/flows/cas1", json=_flow("/cas1", "x"), headers={**AUTH, "If-Match": str(version)}
    )
    assert ok.status_code == 200 and ok.json()["version"] > version
    bad = httpx.put(f"{a}/api/flows/cas1", json=_flow("/cas1"), headers={**AUTH, "If-Match": "abc"})
    assert bad.status_code == 400


def test_bad_values_in_kv_are_skipped_and_reported(
    pair: tuple[str, str, ServiceProcess], module_consul_url: str
) -> None:
    a, b, gw_a = pair
    httpx.put(f"{module_consul_url}/v1/kv/{PREFIX}broken", content=b"{not json").raise_for_status()
    httpx.put(
        f"{module_consul_url}/v1/kv/{PREFIX}badnode", json={"nodes": {"x": {"bogus": 1}}}
    ).raise_for_status()
    httpx.put(f"{module_consul_url}/v1/kv/{PREFIX}good", json=_flow("/good")).raise_for_status()
    for url in (a, b):
        wait_until(lambda u=url: _served(u, "good"), timeout=2, what="good flow served")
        body = httpx.get(f"{url}/api/flows").json()
        errors = {e["name"]: e for e in body["errors"]}
        assert {"broken", "badnode"} <= set(errors), body["errors"]
        assert "JSON" in errors["broken"]["error"] and errors["broken"]["key"] == f"{PREFIX}broken"
        assert "bogus" in errors["badnode"]["error"] or "x" in errors["badnode"]["error"]
        names = {f["name"] for f in body["flows"]}
        assert "echo" in names and "good" in names and "broken" not in names
    assert "skipping flow consul-gateway/flows/broken" in gw_a.output()
    # a good write over the bad value repairs it
    assert httpx.put(f"{a}/api/flows/broken", json=_flow("/broken"), headers=AUTH).status_code == 201
    wait_until(lambda: _served(b, "broken"), timeout=1, what="repaired flow served")


def test_delete_of_a_shipped_flow_hides_it_everywhere_until_its_key_is_removed(
    pair: tuple[str, str, ServiceProcess], module_consul_url: str
) -> None:
    a, b, _ = pair
    assert _served(b, "echo")
    assert httpx.delete(f"{a}/api/flows/echo", headers=AUTH).status_code == 204
    wait_until(lambda: not _served(b, "echo"), timeout=1, what="echo hidden on B")
    assert httpx.delete(f"{b}/api/flows/echo", headers=AUTH).status_code == 404
    # removing the tombstone brings the shipped default back
    httpx.delete(f"{module_consul_url}/v1/kv/{PREFIX}echo").raise_for_status()
    wait_until(lambda: _served(a, "echo") and _served(b, "echo"), timeout=1, what="default echo back")
    assert httpx.get(f"{a}/api/flows/echo").json()["version"] == 0
