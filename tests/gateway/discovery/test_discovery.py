"""The discovery cache against a fake Consul: table building, index rules, outage, notifications."""

from __future__ import annotations

import asyncio

import pytest

from gateway.discovery import Discovery, RoutingTable
from tests.gateway.fakes import FakeConsul, entry


def make(fake: FakeConsul, **kw: object) -> Discovery:
    opts: dict[str, object] = {
        "wait": "2s",
        "coalesce": 0.01,
        "min_interval": 0.0,
        "backoff_max": 0.05,
        "restart_grace": 0.0,
    }
    opts.update(kw)
    return Discovery(fake, exclude=frozenset({"consul", "gateway"}), **opts)  # type: ignore[arg-type]


async def started(fake: FakeConsul, **kw: object) -> Discovery:
    disc = make(fake, **kw)
    await disc.start()
    assert await disc.wait_ready(2)
    return disc


def ports(table: RoutingTable, service: str) -> list[int]:
    return [i.port for i in table.instances(service)]


async def test_first_table_has_all_services_and_excludes_consul_and_gateway() -> None:
    fake = FakeConsul()
    fake.catalog.update(
        web=[entry("web", "w1", 1), entry("web", "w2", 2)], gateway=[entry("gateway", "g", 9)]
    )
    disc = make(fake)
    assert not disc.ready and disc.status()["discovery"] == "starting"
    await disc.start()
    assert await disc.wait_ready(2)
    assert disc.table.names() == ["web"]
    assert ports(disc.table, "web") == [1, 2]
    assert disc.healthy and disc.age() == 0.0
    await disc.stop()


async def test_changes_swap_a_new_table_and_notify() -> None:
    fake = FakeConsul()
    fake.catalog.update(web=[entry("web", "w1", 1)])
    disc = await started(fake)
    seen: list[RoutingTable] = []
    disc.subscribe(seen.append)
    before = disc.table
    await fake.change(web=[entry("web", "w1", 1), entry("web", "w2", 2)])
    table = await disc.wait_for(lambda t: len(t.instances("web")) == 2, timeout=2)
    assert table is not None and table is not before
    assert ports(before, "web") == [1]  # the old snapshot never changes
    assert seen and seen[-1] is disc.table
    # new service appears, old one disappears
    await fake.change(api=[entry("api", "a1", 5)])
    await fake.remove("web")
    assert await disc.wait_for(lambda t: t.names() == ["api"], timeout=2) is not None
    await disc.stop()


async def test_blocking_index_rules() -> None:
    fake = FakeConsul()
    fake.catalog.update(web=[entry("web", "w1", 1)])
    disc = await started(fake)
    await fake.change(web=[entry("web", "w1", 1), entry("web", "w2", 2)])
    assert await disc.wait_for(lambda t: len(t.instances("web")) == 2, timeout=2) is not None
    web_indexes = [i for what, i in fake.sent if what == "web"]
    assert web_indexes[0] == 0  # first query does not block
    assert all(i >= 1 for i in web_indexes[1:])  # then always an index >= 1
    # Agent restart: the index goes backwards -> the next query uses 0 (no blocking on a stale index)
    fake.sent.clear()
    await fake.restart(index=3)
    await fake.change(web=[entry("web", "w3", 3)])  # index 4 < old
    assert await disc.wait_for(lambda t: ports(t, "web") == [3], timeout=2) is not None
    await asyncio.sleep(0.05)
    sent = [i for what, i in fake.sent if what == "web"]
    assert 0 in sent, sent
    await disc.stop()


async def test_outage_keeps_last_table_then_resumes() -> None:
    fake = FakeConsul()
    fake.catalog.update(web=[entry("web", "w1", 1)])
    disc = await started(fake)
    await fake.set_down(True)
    for _ in range(100):
        if not disc.healthy:
            break
        await asyncio.sleep(0.01)
    assert not disc.healthy
    assert disc.status()["discovery"] == "degraded" and "consul_error" in disc.status()
    await asyncio.sleep(0.1)
    assert disc.age() >= 0.1
    assert ports(disc.table, "web") == [1]  # still routable
    await fake.set_down(False)
    await fake.change(web=[entry("web", "w1", 1), entry("web", "w2", 2)])
    assert await disc.wait_for(lambda t: len(t.instances("web")) == 2, timeout=2) is not None
    for _ in range(100):
        if disc.healthy:
            break
        await asyncio.sleep(0.01)
    assert disc.healthy and disc.age() == 0.0
    await disc.stop()


async def test_restart_grace_keeps_instances_while_they_reregister() -> None:
    fake = FakeConsul()
    fake.catalog.update(web=[entry("web", "w1", 1)])
    disc = await started(fake, restart_grace=0.4)
    # The agent restarts empty (index goes back): for the grace period, web stays routable.
    fake.catalog = {"consul": []}
    await fake.restart(index=2)
    await asyncio.sleep(0.15)
    assert ports(disc.table, "web") == [1]
    # ...and goes away once the grace is over if it never came back.
    assert await disc.wait_for(lambda t: "web" not in t.names(), timeout=2) is not None
    await disc.stop()


async def test_coalesces_bursts() -> None:
    fake = FakeConsul()
    fake.catalog.update(web=[entry("web", "w0", 100)])
    disc = await started(fake, coalesce=0.2)
    version = disc.version
    for n in range(1, 6):
        await fake.change(web=[entry("web", f"w{i}", 1 + i) for i in range(n + 1)])
        await asyncio.sleep(0.01)
    assert await disc.wait_for(lambda t: len(t.instances("web")) == 6, timeout=2) is not None
    assert disc.version - version <= 2  # five changes, at most two swaps
    await disc.stop()


async def test_wait_for_times_out() -> None:
    fake = FakeConsul()
    disc = await started(fake)
    assert await disc.wait_for(lambda t: "nope" in t.names(), timeout=0.1) is None
    await disc.stop()


@pytest.mark.parametrize("bad", [{"Service": {"ID": "x", "Port": 0, "Address": "1.2.3.4"}}, {"Service": {}}])
def test_entries_without_address_or_port_are_skipped(bad: dict[str, object]) -> None:
    from gateway.discovery import Instance

    assert Instance.from_health_entry(bad) is None
