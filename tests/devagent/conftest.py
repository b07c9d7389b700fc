"""Fixtures for the dev agent tests: real ``python -m devagent`` processes on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import consul
import pytest

from tests.devagent.support import FAST_FLAGS
from tests.support.processes import dev_agent


@pytest.fixture(scope="session")
def agent_url() -> Iterator[str]:
    """One agent for the session with short check/reap intervals (service names are unique per test)."""
    with dev_agent(None, *FAST_FLAGS) as url:
        yield url


@pytest.fixture
def fresh_agent_url() -> Iterator[str]:
    """A fresh agent with default (Consul) timings, for tests that need a pristine catalog."""
    with dev_agent() as url:
        yield url


@pytest.fixture(scope="session")
def client(agent_url: str) -> consul.Consul:
    port = int(agent_url.rsplit(":", 1)[1])
    return consul.Consul(host="127.0.0.1", port=port)
