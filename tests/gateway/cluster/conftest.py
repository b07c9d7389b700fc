"""A dev agent that accepts short session TTLs (Consul's session_ttl_min), so expiry tests are quick."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import dev_agent

# Session TTL 2 s (Consul expires it between TTL and 2xTTL), lock-delay 1 s.
FAST_ELECTION = {
    "GATEWAY_LEADER_TTL": "2s",
    "GATEWAY_LEADER_LOCK_DELAY": "1s",
    "GATEWAY_LEADER_RETRY": "0.2",
    "GATEWAY_PUBLISH_INTERVAL": "1",
}


@pytest.fixture(scope="module")
def fast_consul() -> Iterator[str]:
    with dev_agent(None, "--session-ttl-min", "1s") as url:
        yield url
