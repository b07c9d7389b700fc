"""Blocking queries (contract §6) against a real dev agent process."""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import consul
import httpx


def _later(delay: float, fn) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        fn()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_wakes_on_relevant_change(client: consul.Consul) -> None:
    """§6.2/§6.4: a health query blocked on an index returns promptly after a change to that service."""
    client.agent.service.register("bw", service_id="bw1", check=consul.Check.ttl("60s"))
    index, _ = client.health.service("bw")
    t = _later(0.3, lambda: client.agent.check.ttl_pass("service:bw1"))
    t0 = time.monotonic()
    new_index, entries = client.health.service("bw", index=index, wait="10s")
    elapsed = time.monotonic() - t0
    t.join()
    assert 0.25 <= elapsed < 2.0
    assert int(new_index) > int(index)
    assert entries[0]["Checks"][1]["Status"] == "passing"


def test_not_woken_by_unrelated_change_and_timeout_keeps_index(client: consul.Consul) -> None:
    """§6.4: a change to another service does not wake the waiter; on timeout the same index comes back."""
    client.agent.service.register("quiet", service_id="q1")
    index, _ = client.health.service("quiet")
    t = _later(0.2, lambda: client.agent.service.register("noisy", service_id="n1"))
    t0 = time.monotonic()
    new_index, _ = client.health.service("quiet", index=index, wait="1s")
    elapsed = time.monotonic() - t0
    t.join()
    assert new_index == index
    assert 1.0 <= elapsed < 1.0 + 1.0 / 16 + 0.5  # wait + jitter up to wait/16


def test_unknown_name_uses_extinction_index(client: consul.Consul) -> None:
    """§6.4: a never-registered name wakes when it appears; it is not woken by an unrelated registration."""
    index, entries = client.health.service("phoenix")
    assert entries == [] and int(index) >= 1
    t = _later(0.2, lambda: client.agent.service.register("phoenix-unrelated", service_id="pu1"))
    t.join()
    t = _later(0.3, lambda: client.agent.service.register("phoenix", service_id="ph1"))
    t0 = time.monotonic()
    new_index, entries = client.health.service("phoenix", index=index, wait="10s")
    t.join()
    assert time.monotonic() - t0 >= 0.25
    assert [e["Service"]["ID"] for e in entries] == ["ph1"]
    # deregistering the last instance makes the name report the new extinction index
    client.agent.service.deregister("ph1")
    ext_index, entries = client.health.service("phoenix")
    assert entries == [] and int(ext_index) > int(new_index)


def test_catalog_services_blocking(client: consul.Consul) -> None:
    """§6.1: /v1/catalog/services blocks and wakes on a service registration."""
    index, _ = client.catalog.services()
    t = _later(0.2, lambda: client.agent.service.register("newcomer", service_id="nc1"))
    new_index, services = client.catalog.services(index=index, wait="10s")
    t.join()
    assert int(new_index) > int(index) and "newcomer" in services


def test_invalid_index_and_wait(agent_url: str) -> None:
    """§6.1: bad index → 400 `Invalid index`; bad wait → 400 `Invalid wait time`; index never 0."""
    r = httpx.get(f"{agent_url}/v1/health/service/x", params={"index": "abc"})
    assert (r.status_code, r.text) == (400, "Invalid index")
    r = httpx.get(f"{agent_url}/v1/health/service/x", params={"index": "1", "wait": "soon"})
    assert (r.status_code, r.text) == (400, "Invalid wait time")
    r = httpx.get(f"{agent_url}/v1/kv/never-written")
    assert r.status_code == 404 and int(r.headers["X-Consul-Index"]) >= 1


def test_future_index_blocks_until_timeout(agent_url: str) -> None:
    """§6.2: a client index above the server's blocks until the wait elapses."""
    t0 = time.monotonic()
    r = httpx.get(f"{agent_url}/v1/catalog/services", params={"index": "99999999", "wait": "500ms"})
    assert r.status_code == 200 and time.monotonic() - t0 >= 0.5


async def test_hundreds_of_concurrent_waiters_all_wake(agent_url: str) -> None:
    """§6: 300 concurrent blocked queries (on two services) all wake on the changes that concern them.

    aiohttp is the client here: httpx's pool is too slow with hundreds of concurrent connections.
    """
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(agent_url, connector=connector, timeout=aiohttp.ClientTimeout(30)) as h:
        for name in ("crowd-a", "crowd-b"):
            async with h.put("/v1/agent/service/register", data=f'{{"Name": "{name}"}}'.encode()) as r:
                assert r.status == 200
        async with h.get("/v1/health/service/crowd-a") as r:
            idx_a = r.headers["X-Consul-Index"]
        async with h.get("/v1/health/service/crowd-b") as r:
            idx_b = r.headers["X-Consul-Index"]

        async def wait_on(name: str, index: str) -> tuple[str, float]:
            async with h.get(f"/v1/health/service/{name}", params={"index": index, "wait": "20s"}) as r:
                await r.read()
                return r.headers["X-Consul-Index"], time.monotonic()

        tasks_a = [asyncio.create_task(wait_on("crowd-a", idx_a)) for _ in range(200)]
        tasks_b = [asyncio.create_task(wait_on("crowd-b", idx_b)) for _ in range(100)]
        await asyncio.sleep(1.0)  # let all of them block
        assert not any(t.done() for t in tasks_a + tasks_b)
        changed = time.monotonic()
        async with h.put("/v1/agent/service/register", data=b'{"Name": "crowd-a", "Tags": ["changed"]}') as r:
            assert r.status == 200
        results_a = await asyncio.wait_for(asyncio.gather(*tasks_a), timeout=10)
        assert all(int(idx) > int(idx_a) for idx, _ in results_a)
        assert max(t for _, t in results_a) - changed < 2.0
        await asyncio.sleep(0.2)
        assert not any(t.done() for t in tasks_b), "crowd-b waiters woken by a crowd-a change"
        async with h.put("/v1/agent/service/register", data=b'{"Name": "crowd-b", "Port": 7}') as r:
            assert r.status == 200
        results_b = await asyncio.wait_for(asyncio.gather(*tasks_b), timeout=10)
        assert all(int(idx) > int(idx_b) for idx, _ in results_b)


def test_stopping_answers_open_blocking_queries() -> None:
    """SIGTERM with a blocking query open: it is answered (its index unchanged) and the agent
    exits within a second, without a cancelled-task traceback in its log."""
    from tests.support.processes import ServiceProcess, free_port, python_module

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    agent = ServiceProcess(
        python_module("devagent", "--port", str(port)),
        name="devagent-stop",
        ready_url=f"{url}/v1/status/leader",
    ).start()
    try:
        index = httpx.get(f"{url}/v1/kv/stop/?recurse").headers["X-Consul-Index"]
        answered: dict[str, httpx.Response] = {}

        def blocked() -> None:
            answered["r"] = httpx.get(f"{url}/v1/kv/stop/?recurse&index={index}&wait=60s", timeout=30)

        waiter = threading.Thread(target=blocked, daemon=True)
        waiter.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert agent.stop(timeout=10) in (0, -15)  # uvicorn re-raises SIGTERM once it has stopped
        waiter.join(5)
        assert time.monotonic() - started < 1.5
        assert answered["r"].headers["X-Consul-Index"] == index
        assert "Traceback" not in agent.output() and "timeout graceful shutdown" not in agent.output()
    finally:
        agent.stop()
