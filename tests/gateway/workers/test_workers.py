"""GATEWAY_WORKERS=2: two real worker processes on one port, answering for each other."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import ServiceProcess, wait_until

from ..helpers import start_gateway, start_upstream, wait_ports


@pytest.fixture(scope="module")
def two_workers(module_consul_url: str) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    upstream = start_upstream(module_consul_url, "web")
    gateway = start_gateway(module_consul_url, gateway_workers="2", access_log="false")
    try:
        wait_ports(gateway.url, "web", {upstream.port})  # type: ignore[attr-defined]
        # each worker has its own watchers: wait until new connections (either worker) route
        wait_until(lambda: _all_route(gateway.url), timeout=15, what="both workers route web")  # type: ignore[attr-defined]
        yield gateway, upstream
    finally:
        gateway.stop()
        upstream.stop()


def _all_route(url: str, tries: int = 12) -> bool:
    for _ in range(tries):
        with httpx.Client(timeout=5) as client:  # a new connection each time
            if client.get(f"{url}/svc/web/whoami").status_code != 200:
                return False
    return True


def _requests_metric(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.name == "gateway_requests":
            total += sum(
                s.value
                for s in family.samples
                if s.name == "gateway_requests_total" and s.labels.get("service") == "web"
            )
    return total


def test_both_workers_serve_and_each_answers_for_the_instance(
    two_workers: tuple[ServiceProcess, ServiceProcess],
) -> None:
    gateway, _ = two_workers
    url = gateway.url  # type: ignore[attr-defined]
    before = _requests_metric(url)
    # new connections are spread by the kernel (SO_REUSEPORT hashes each connection)
    for _ in range(60):
        with httpx.Client(timeout=5) as client:
            assert client.get(f"{url}/svc/web/whoami").status_code == 200
    stats = httpx.get(f"{url}/v1/statistics", timeout=5).json()
    workers = stats["workers"]
    assert [w["worker"] for w in workers] == [0, 1]
    assert all(w["requests"] > 0 for w in workers), workers
    assert stats["service"]["web"]["count"] >= 60
    # every scrape covers both workers, whichever one answers it
    for _ in range(6):
        assert _requests_metric(url) - before >= 60
    # one registration for the instance
    entries = httpx.get(f"{gateway.env['CONSUL_HTTP_ADDR']}/v1/health/service/gateway", timeout=5).json()
    assert len(entries) == 1 and entries[0]["Service"]["Port"] == gateway.port  # type: ignore[attr-defined]


def test_a_killed_worker_is_restarted_and_the_port_keeps_serving(
    two_workers: tuple[ServiceProcess, ServiceProcess],
) -> None:
    gateway, _ = two_workers
    url = gateway.url  # type: ignore[attr-defined]
    pids = {w["worker"]: w["pid"] for w in httpx.get(f"{url}/v1/statistics").json()["workers"]}
    os.kill(pids[1], signal.SIGKILL)
    # the surviving worker keeps the port open meanwhile
    for _ in range(10):
        with httpx.Client(timeout=5) as client:
            assert client.get(f"{url}/svc/web/whoami").status_code == 200

    def restarted() -> bool:
        workers = httpx.get(f"{url}/v1/statistics", timeout=5).json()["workers"]
        return len(workers) == 2 and {w["pid"] for w in workers} != set(pids.values())

    wait_until(restarted, timeout=20, interval=0.2, what="worker 1 restarted")
