"""Leader election through a Consul session lock, several members in one event loop, real dev agent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from gateway.cluster import Cluster, ClusterSettings, Identity
from gateway.consul_client import ConsulClient
from tests.support.processes import ServiceProcess, free_port, python_module

TTL, LOCK_DELAY = 2.0, 1.0


def _settings(prefix: str) -> ClusterSettings:
    return ClusterSettings(
        gateway_kv_prefix=prefix,
        gateway_leader_ttl=f"{TTL:g}s",
        gateway_leader_lock_delay=f"{LOCK_DELAY:g}s",
        gateway_leader_retry=0.2,
        gateway_publish_interval=1.0,
    )


@pytest.fixture
async def members(fast_consul: str) -> AsyncIterator[Callable[[str, int], object]]:
    made: list[Cluster] = []

    async def make(prefix: str, count: int) -> list[Cluster]:
        group = [
            Cluster(
                ConsulClient(fast_consul, timeout=2),
                _settings(prefix),
                Identity(f"gw-{i}", "127.0.0.1", 9000 + i),
            )
            for i in range(count)
        ]
        made.extend(group)
        for m in group:
            await m.start()
        return group

    yield make
    for m in made:
        await m.stop()
        await m.consul.close()


def crash(member: Cluster) -> None:
    """Stop the member's tasks without releasing anything: a SIGKILLed process, seen from Consul."""
    assert (
        member.leadership._task is not None and member.keeper is not None and member.keeper._task is not None
    )
    member.leadership._task.cancel()
    member.keeper._task.cancel()
    if member.publisher is not None and member.publisher._task is not None:
        member.publisher._task.cancel()


async def until(predicate: Callable[[], bool], timeout: float) -> float:
    t0 = time.monotonic()
    while not predicate():
        assert time.monotonic() - t0 < timeout, "condition not met in time"
        await asyncio.sleep(0.02)
    return time.monotonic() - t0


async def test_exactly_one_member_leads_and_all_know_who(members: Callable[[str, int], object]) -> None:
    group: list[Cluster] = await members("t-one/", 3)  # type: ignore[misc]
    await until(lambda: sum(m.leadership.is_leader for m in group) == 1, 5)
    leader = next(m for m in group if m.leadership.is_leader)
    await until(lambda: all(m.leadership.leader_instance == leader.identity.instance for m in group), 5)
    await asyncio.sleep(3 * TTL)  # renewals keep it: no flapping
    assert [m.leadership.is_leader for m in group].count(True) == 1 and leader.leadership.is_leader
    assert leader.leadership.transitions == 1


async def test_singletons_run_only_on_the_leader_and_move_with_it(
    members: Callable[[str, int], object],
) -> None:
    group: list[Cluster] = await members("t-single/", 2)  # type: ignore[misc]
    running: dict[str, int] = {}

    def job(name: str) -> Callable[[], object]:
        async def run() -> None:
            running[name] = running.get(name, 0) + 1
            try:
                await asyncio.Event().wait()
            finally:
                running[name] -= 1

        return run

    for m in group:
        m.leadership.run_while_leading("janitor", job(m.identity.instance))  # type: ignore[arg-type]
    await until(lambda: sum(running.values()) == 1, 5)
    leader = next(m for m in group if m.leadership.is_leader)
    other = next(m for m in group if m is not leader)
    assert running[leader.identity.instance] == 1
    await leader.stop()  # graceful: releases the lock, no lock-delay
    took = await until(lambda: other.leadership.is_leader, 5)
    assert took < LOCK_DELAY + 1.0
    await until(lambda: running.get(other.identity.instance) == 1, 2)
    assert running[leader.identity.instance] == 0


async def test_a_crashed_leader_is_replaced_after_its_session_expires(
    members: Callable[[str, int], object],
) -> None:
    group: list[Cluster] = await members("t-crash/", 2)  # type: ignore[misc]
    await until(lambda: sum(m.leadership.is_leader for m in group) == 1, 5)
    leader = next(m for m in group if m.leadership.is_leader)
    other = next(m for m in group if m is not leader)
    crash(leader)
    took = await until(lambda: other.leadership.is_leader, 2 * TTL + LOCK_DELAY + 3)
    # Consul expires the session no earlier than TTL after its last renewal (<= TTL/2 ago)
    assert took >= TTL / 2
    assert other.leadership.leader_instance == other.identity.instance


async def test_a_leader_that_loses_consul_steps_down_before_its_session_could_expire() -> None:
    port = free_port()
    agent = ServiceProcess(
        python_module("devagent", "--port", str(port), "--session-ttl-min", "1s"),
        name="devagent",
        ready_url=f"http://127.0.0.1:{port}/v1/status/leader",
    ).start()
    member = Cluster(
        ConsulClient(f"http://127.0.0.1:{port}", timeout=1),
        _settings("t-lost/"),
        Identity("gw-x", "127.0.0.1", 1),
    )
    ran: list[str] = []

    async def job() -> None:
        ran.append("start")
        try:
            await asyncio.Event().wait()
        finally:
            ran.append("stop")

    try:
        await member.start()
        member.leadership.run_while_leading("job", job)
        await until(lambda: member.leadership.is_leader and ran == ["start"], 5)
        agent.kill()
        # Consul could expire the session TTL after the last renewal (<= TTL/2 before the kill)
        took = await until(lambda: not member.leadership.is_leader, TTL)
        assert took <= TTL
        assert ran == ["start", "stop"]
    finally:
        agent.stop()
        await member.stop()
        await member.consul.close()
