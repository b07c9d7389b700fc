"""Two real gateway processes against one dev agent: /api/cluster, leader failover on SIGKILL."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.processes import ServiceProcess, wait_until

from ..helpers import start_gateway
from .conftest import FAST_ELECTION

TTL, LOCK_DELAY = 2.0, 1.0


@pytest.fixture
def gateways(fast_consul: str) -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    try:
        for _ in range(2):
            started.append(start_gateway(fast_consul, **{k.lower(): v for k, v in FAST_ELECTION.items()}))
        yield started
    finally:
        for gw in started:
            gw.stop()


def cluster(gw: ServiceProcess) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{gw.url}/api/cluster", timeout=5).json()  # type: ignore[attr-defined]
    return data


def test_api_cluster_lists_both_instances_the_leader_and_their_tables(gateways: list[ServiceProcess]) -> None:
    a, b = gateways

    def complete() -> bool:
        view = cluster(b)
        return (
            view["leader"] is not None
            and len(view["instances"]) == 2
            and all(i["workers"] and i["table_index"] is not None for i in view["instances"])
        )

    wait_until(complete, timeout=10, what="both instances published")
    view = cluster(a)
    ports = {i["port"] for i in view["instances"]}
    assert ports == {a.port, b.port}  # type: ignore[attr-defined]
    assert [i["leader"] for i in view["instances"]].count(True) == 1
    assert view["leader"] in {i["id"] for i in view["instances"]}
    for inst in view["instances"]:
        assert inst["status"] == "passing" and inst["address"] == "127.0.0.1"
        assert inst["table_age_s"] == 0 and inst["workers"][0]["updated_s_ago"] < 5
        assert inst["workers"][0]["pid"] > 0
    assert view["self"] == next(i["id"] for i in view["instances"] if i["port"] == a.port)  # type: ignore[attr-defined]
    assert cluster(a)["leader"] == cluster(b)["leader"]


def test_sigkill_of_the_leader_hands_leadership_to_the_other_within_ttl_lock_delay_and_5s(
    gateways: list[ServiceProcess],
) -> None:
    wait_until(lambda: cluster(gateways[0])["leader"] is not None, timeout=10, what="a leader")
    leader_id = cluster(gateways[0])["leader"]
    by_id = {i["id"]: i["port"] for i in cluster(gateways[0])["instances"]}
    leader = next(g for g in gateways if g.port == by_id[leader_id])  # type: ignore[attr-defined]
    survivor = next(g for g in gateways if g is not leader)
    leader.signal(signal.SIGKILL)
    killed = time.monotonic()

    def survivor_leads() -> bool:
        view = cluster(survivor)
        return bool(view["leader"] == view["self"] and view["leadership"]["is_leader"])

    wait_until(survivor_leads, timeout=TTL + LOCK_DELAY + 5, interval=0.1, what="survivor leads")
    took = time.monotonic() - killed
    assert took <= TTL + LOCK_DELAY + 5
    # the dead instance's entry went with its session
    wait_until(
        lambda: all(i["workers"] == [] for i in cluster(survivor)["instances"] if i["id"] == leader_id),
        timeout=2,
        what="dead instance's entry removed",
    )
