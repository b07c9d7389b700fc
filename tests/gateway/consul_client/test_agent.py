"""The gateway's own registration through its Consul client (not py-consul), against the
real dev agent: register with an HTTP check, look up, re-register, deregister, outage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.consul_client import AgentRegistrar, ConsulClient
from servicekit.registration import AgentUnavailable, RegistrationSpec, ServiceRegistration
from tests.support.processes import free_port


@pytest.fixture
async def client(consul_url: str) -> AsyncIterator[ConsulClient]:
    c = ConsulClient(consul_url, timeout=3)
    yield c
    await c.close()


def spec(port: int = 1234) -> RegistrationSpec:
    return RegistrationSpec(
        name="gw-test",
        service_id="gw-test-1",
        address="127.0.0.1",
        port=port,
        tags=("a", "b"),
        meta={"k": "v"},
        check_url=f"http://127.0.0.1:{port}/health",
        check_interval="10s",
    )


async def test_register_lookup_deregister(client: ConsulClient, consul_url: str) -> None:
    registrar = AgentRegistrar(client.agent)
    assert not await registrar.is_registered("gw-test-1")
    await registrar.register(spec())
    assert await registrar.is_registered("gw-test-1")
    listed = httpx.get(f"{consul_url}/v1/agent/services", timeout=5).json()["gw-test-1"]
    assert (listed["Service"], listed["Port"], listed["Tags"], listed["Meta"]) == (
        "gw-test",
        1234,
        ["a", "b"],
        {"k": "v"},
    )
    checks = httpx.get(f"{consul_url}/v1/agent/checks", timeout=5).json()
    assert any(c["ServiceID"] == "gw-test-1" for c in checks.values())
    await registrar.deregister("gw-test-1")
    assert not await registrar.is_registered("gw-test-1")


async def test_registration_loop_runs_on_this_client(client: ConsulClient) -> None:
    registration = ServiceRegistration(AgentRegistrar(client.agent), spec(), resync_interval=0.1)
    registration.start()
    try:
        assert await registration.wait_registered(5)
        assert await client.agent.service("gw-test-1") is not None
    finally:
        await registration.stop()
    assert await client.agent.service("gw-test-1") is None


async def test_an_unreachable_agent_is_agent_unavailable() -> None:
    c = ConsulClient(f"http://127.0.0.1:{free_port()}", timeout=1)
    try:
        with pytest.raises(AgentUnavailable):
            await AgentRegistrar(c.agent).register(spec())
    finally:
        await c.close()


def test_the_gateway_process_registers_itself_and_deregisters_on_stop(consul_url: str) -> None:
    from tests.gateway.helpers import start_gateway
    from tests.support.consul import passing_instances
    from tests.support.processes import wait_until

    gateway = start_gateway(consul_url)
    try:
        wait_until(
            lambda: [
                i for i in passing_instances(consul_url, "gateway") if i["Service"]["Port"] == gateway.port
            ],  # type: ignore[attr-defined]
            15,
            what="gateway passing in Consul",
        )
    finally:
        gateway.stop()
    assert "gateway" not in {
        s["Service"] for s in httpx.get(f"{consul_url}/v1/agent/services", timeout=5).json().values()
    }
