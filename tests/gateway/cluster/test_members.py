"""MemberPublisher stops when asked, whatever it was doing."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.cluster import Identity
from gateway.cluster.members import MemberPublisher


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_stop_right_after_a_poke_ends_the_publisher(turns: int) -> None:
    """A stop landing while a poke wakes the publisher (a routing-table change, a leadership
    change, just before shutdown) must end it. Python 3.11's ``asyncio.wait_for`` loses such a
    cancellation (the event it waited for is set in the same few loop turns): the publisher
    went on publishing and ``stop()`` never returned (a CI run hung there for 600 s)."""
    no_session: Any = SimpleNamespace(id=None)  # nothing to write: the loop only waits
    publisher = MemberPublisher(
        None,  # type: ignore[arg-type]
        no_session,
        Identity("gw-t", "127.0.0.1", 1),
        prefix="t/",
        status=dict,
        interval=5.0,
    )
    publisher.start()
    await asyncio.sleep(0.6)  # past its first pause: waiting for a poke (up to 0.5 s)
    publisher.poke()
    for _ in range(turns):
        await asyncio.sleep(0)
    async with asyncio.timeout(2):
        await publisher.stop()
