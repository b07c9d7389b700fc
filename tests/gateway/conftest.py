"""Fixtures of the gateway tests: a shared stack per module (dev agent, upstreams, gateway)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from tests.support.processes import ServiceProcess

from .helpers import start_gateway, start_upstream, wait_ports, wait_started


@dataclass
class Stack:
    consul: str
    gateway: ServiceProcess
    upstreams: dict[str, list[ServiceProcess]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return str(self.gateway.url)  # type: ignore[attr-defined]

    def ports(self, service: str) -> set[int]:
        return {p.port for p in self.upstreams[service]}  # type: ignore[attr-defined]


@contextmanager
def running_stack(
    consul_url: str, procs: dict[str, list[ServiceProcess]], **gateway_settings: str
) -> Iterator[Stack]:
    """Upstreams already started (``wait=False``) plus a gateway that routes to all of them;
    everything is stopped on exit, also when start-up fails."""
    gateway = None
    try:
        wait_started([p for ps in procs.values() for p in ps])
        gateway = start_gateway(consul_url, **gateway_settings)
        stack = Stack(consul_url, gateway, procs)
        for name in procs:
            wait_ports(stack.url, name, stack.ports(name))
        yield stack
    finally:
        if gateway is not None:
            gateway.stop()
        for ps in procs.values():
            for p in ps:
                p.stop()


@pytest.fixture(scope="module")
def web_stack(module_consul_url: str) -> Iterator[Stack]:
    """Two ``web`` upstreams (default balancer) and two ``rr`` upstreams (tag lb=round_robin)."""
    procs = {
        "web": [start_upstream(module_consul_url, "web", wait=False) for _ in range(2)],
        "rr": [
            start_upstream(module_consul_url, "rr", tags=["lb=round_robin"], wait=False) for _ in range(2)
        ],
    }
    with running_stack(module_consul_url, procs, upstream_timeout="1.5") as stack:
        yield stack


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One keep-alive client (``httpx.get`` builds a new client and TLS context per call: ~40 ms)."""
    with httpx.Client(timeout=10) as client:
        yield client
