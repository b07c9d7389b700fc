"""Replicas from anywhere (process runtime): two gateway instances, one stack, one dev agent.

A replica launched through one instance is listed by the other and removed through it (the
owner stops its child process when asked through Consul KV)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import ServiceProcess, dev_agent, wait_until

from .test_process_replicas import AUTH, _agent_ids, _gateway


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[str, str, str]]:
    with dev_agent() as agent:
        gateways: list[ServiceProcess] = []
        try:
            for _ in range(2):
                gateways.append(_gateway(agent, STACK_NAME="sharedtest").start())
            yield agent, gateways[0].url, gateways[1].url  # type: ignore[attr-defined]
        finally:
            for gw in gateways:
                gw.stop()


def _ids(gateway: str) -> set[str]:
    body = httpx.get(f"{gateway}/api/models/instances/RandomForest", timeout=10).json()
    return {i["id"] for i in body["instances"] if i.get("managed", True)}


def test_a_replica_launched_through_one_is_listed_and_removed_through_the_other(
    pair: tuple[str, str, str],
) -> None:
    agent, a, b = pair
    resp = httpx.post(f"{a}/api/models/launch/RandomForest", headers=AUTH, timeout=90)
    assert resp.status_code == 200, resp.text
    replica_id, name = resp.json()["container_id"], resp.json()["container_name"]
    assert name in _agent_ids(agent)
    wait_until(lambda: replica_id in _ids(b), timeout=2, what="B lists A's replica")
    [listed] = [
        i
        for i in httpx.get(f"{b}/api/models/instances/RandomForest").json()["instances"]
        if i["id"] == replica_id
    ]
    assert listed["health"] == "passing"

    pid = next(
        int(p) for p in os.listdir("/proc") if p.isdigit() and _environ_has(int(p), f"SERVICE_ID={name}")
    )
    gone = httpx.delete(f"{b}/api/models/instances/{replica_id}", headers=AUTH, timeout=30)
    assert gone.status_code == 200, gone.text
    assert replica_id not in _ids(a) and replica_id not in _ids(b)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid), timeout=10, what="process stopped")
    wait_until(lambda: name not in _agent_ids(agent), timeout=10, what="deregistered")
    assert httpx.delete(f"{b}/api/models/instances/{replica_id}", headers=AUTH, timeout=10).status_code == 404


def _environ_has(pid: int, item: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return item.encode() in f.read().split(b"\0")
    except OSError:
        return False


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_crashed_owner_takes_its_replicas_and_their_records_with_it() -> None:
    fast = {"GATEWAY_LEADER_TTL": "2s", "GATEWAY_LEADER_LOCK_DELAY": "1s", "GATEWAY_PUBLISH_INTERVAL": "1"}
    with dev_agent(None, "--session-ttl-min", "1s") as agent:
        a = _gateway(agent, STACK_NAME="crashtest", **fast).start()
        b = _gateway(agent, STACK_NAME="crashtest", **fast).start()
        try:
            resp = httpx.post(f"{a.url}/api/models/launch/RandomForest", headers=AUTH, timeout=90)  # type: ignore[attr-defined]
            assert resp.status_code == 200, resp.text
            replica_id, name = resp.json()["container_id"], resp.json()["container_name"]
            wait_until(lambda: replica_id in _ids(b.url), timeout=5, what="B lists A's replica")  # type: ignore[attr-defined]
            pid = next(
                int(p)
                for p in os.listdir("/proc")
                if p.isdigit() and _environ_has(int(p), f"SERVICE_ID={name}")
            )
            a.signal(signal.SIGKILL)
            # the parent-death signal stops the replica (it deregisters) ...
            wait_until(
                lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid), timeout=15, what="replica stopped"
            )
            wait_until(lambda: name not in _agent_ids(agent), timeout=15, what="deregistered")
            # ... and once A's session is gone, B no longer lists the record (<= 2 x TTL + slack)
            wait_until(lambda: replica_id not in _ids(b.url), timeout=15, what="B drops the record")  # type: ignore[attr-defined]
            gone = httpx.delete(f"{b.url}/api/models/instances/{replica_id}", headers=AUTH, timeout=10)  # type: ignore[attr-defined]
            assert gone.status_code in (200, 404), gone.text  # the stale record is deleted, never a 504
        finally:
            a.stop()
            b.stop()
