"""least_in_flight and p2c chosen per service (meta / tag), against real upstream processes."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.conftest import Stack, running_stack
from tests.gateway.helpers import routes, start_upstream


@pytest.fixture(scope="module")
def lb_stack(module_consul_url: str) -> Iterator[Stack]:
    procs = {
        "lif": [
            start_upstream(module_consul_url, "lif", meta={"lb": "least_in_flight"}, wait=False)
            for _ in range(2)
        ],
        "ptc": [start_upstream(module_consul_url, "ptc", tags=["lb=p2c"], wait=False) for _ in range(2)],
    }
    with running_stack(module_consul_url, procs, upstream_timeout="10") as stack:
        yield stack


@pytest.mark.parametrize(("service", "policy"), [("lif", "least_in_flight"), ("ptc", "p2c")])
def test_busy_instance_is_avoided(lb_stack: Stack, http: httpx.Client, service: str, policy: str) -> None:
    assert {s["name"]: s["balancer"] for s in routes(lb_stack.url)["services"]}[service] == policy
    # Idle: both instances get traffic.
    idle = Counter(http.get(f"{lb_stack.url}/svc/{service}/whoami").json()["port"] for _ in range(40))
    assert set(idle) == lb_stack.ports(service)
    # One slow request in flight on one instance: every quick request goes to the other one
    # (with two instances p2c compares both, like least_in_flight).
    busy_port: list[int] = []

    def slow() -> None:
        with httpx.Client(timeout=10) as c:
            busy_port.append(c.get(f"{lb_stack.url}/svc/{service}/sleep?s=1.5").json()["port"])

    worker = threading.Thread(target=slow)
    worker.start()
    try:
        import time

        time.sleep(0.3)  # the slow request is now in flight
        quick = [http.get(f"{lb_stack.url}/svc/{service}/whoami").json()["port"] for _ in range(10)]
    finally:
        worker.join()
    assert len(set(quick)) == 1
    assert quick[0] != busy_port[0]
