"""The gateway's Consul client against the real dev agent: KV reads, blocking, CAS, watch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from gateway.consul_client import ConsulClient, ConsulRefused, KVEntry, PrefixWatch


@pytest.fixture
async def client(module_consul_url: str) -> AsyncIterator[ConsulClient]:
    c = ConsulClient(module_consul_url, timeout=3)
    yield c
    await c.close()


async def test_put_get_list_delete_roundtrip(client: ConsulClient) -> None:
    assert await client.kv.put("t1/a", {"x": 1})
    assert await client.kv.put("t1/b", "text")
    assert await client.kv.put("t1/c", b"\x00\x01")
    entry, index = await client.kv.get("t1/a")
    assert isinstance(entry, KVEntry) and entry.json() == {"x": 1} and index >= entry.modify_index
    entries, _ = await client.kv.list("t1/")
    assert [e.key for e in entries] == ["t1/a", "t1/b", "t1/c"]
    assert entries[1].text() == "text" and entries[2].value == b"\x00\x01"
    assert await client.kv.delete("t1/b")
    assert (await client.kv.get("t1/b"))[0] is None
    assert await client.kv.delete("t1/", recurse=True)
    assert (await client.kv.list("t1/"))[0] == []


async def test_cas_creates_once_and_replaces_only_the_version_read(client: ConsulClient) -> None:
    assert await client.kv.put("t2/k", "one", cas=0)
    assert not await client.kv.put("t2/k", "again", cas=0)  # exists already
    entry, _ = await client.kv.get("t2/k")
    assert entry is not None
    assert await client.kv.put("t2/k", "two", cas=entry.modify_index)
    assert not await client.kv.put("t2/k", "lost", cas=entry.modify_index)  # stale version
    newer, _ = await client.kv.get("t2/k")
    assert newer is not None and newer.text() == "two"
    assert not await client.kv.delete("t2/k", cas=entry.modify_index)
    assert await client.kv.delete("t2/k", cas=newer.modify_index)


async def test_concurrent_cas_writes_exactly_one_wins(client: ConsulClient) -> None:
    results = await asyncio.gather(*(client.kv.put("t3/k", f"v{i}", cas=0) for i in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_blocking_get_returns_on_change(client: ConsulClient) -> None:
    await client.kv.put("t4/k", "a")
    _, index = await client.kv.list("t4/")

    async def change_later() -> None:
        await asyncio.sleep(0.3)
        await client.kv.put("t4/k", "b")

    task = asyncio.create_task(change_later())
    t0 = time.monotonic()
    entries, new_index = await client.kv.list("t4/", index=index, wait="10s", wait_s=10)
    await task
    assert 0.2 < time.monotonic() - t0 < 5
    assert new_index > index and entries[0].text() == "b"


async def test_prefix_watch_reports_adds_changes_and_removals(client: ConsulClient) -> None:
    seen: list[dict[str, str]] = []
    watch = PrefixWatch(client.kv, "t5/", lambda es: seen.append({e.key: e.text() for e in es}), wait="10s")
    watch.start()
    try:
        assert await watch.wait_ready(5)
        assert seen == [{}]
        await client.kv.put("t5/a", "1")
        await _until(lambda: seen[-1] == {"t5/a": "1"})
        await client.kv.put("t5/a", "2")
        await _until(lambda: seen[-1] == {"t5/a": "2"})
        await client.kv.put("other/a", "ignored")
        await client.kv.delete("t5/a")
        await _until(lambda: seen[-1] == {})
        assert all(set(s) <= {"t5/a"} for s in seen)
    finally:
        await watch.stop()


async def test_bad_request_is_refused_not_unavailable(client: ConsulClient) -> None:
    with pytest.raises(ConsulRefused):
        await client.transport.request("DELETE", "/v1/kv/")  # no key: Consul answers 400


async def _until(predicate: object, timeout: float = 3.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_prefix_watch_keeps_its_entries_while_consul_is_gone() -> None:
    from tests.support.processes import ServiceProcess, free_port, python_module

    port = free_port()
    agent = ServiceProcess(
        python_module("devagent", "--port", str(port)),
        name="devagent",
        ready_url=f"http://127.0.0.1:{port}/v1/status/leader",
    ).start()
    client = ConsulClient(f"http://127.0.0.1:{port}", timeout=1)
    watch = PrefixWatch(client.kv, "t7/", lambda es: None, wait="5s", backoff_max=0.2)
    try:
        await client.kv.put("t7/a", "1")
        watch.start()
        assert await watch.wait_ready(5)
        assert [e.key for e in watch.entries] == ["t7/a"]
        agent.kill()
        await _until(lambda: watch.failing, timeout=10)
        assert [e.key for e in watch.entries] == ["t7/a"] and "t7/" in watch.prefix
    finally:
        agent.stop()
        await watch.stop()
        await client.close()
