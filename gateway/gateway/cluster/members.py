"""Each gateway process publishes what it serves under ``<prefix>instances/<instance>/<worker>``.

The entry is held by the process's session (``Behavior=delete``): it disappears when the
process dies or loses its session, so ``GET /api/cluster`` never lists the dead for long.
It is rewritten every ``interval`` seconds and soon after each routing-table change, with
the table's index and age, so any instance can show how fresh every other one is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ..consul_client import ConsulClient, ConsulError
from .identity import Identity
from .session import SessionKeeper

__all__ = ["MemberPublisher"]

log = logging.getLogger("gateway.cluster")

_MIN_GAP = 0.5  # seconds between two writes, however often the table changes


class MemberPublisher:
    def __init__(
        self,
        consul: ConsulClient,
        keeper: SessionKeeper,
        identity: Identity,
        *,
        prefix: str,
        status: Callable[[], dict[str, Any]],
        interval: float = 5.0,
    ) -> None:
        self.consul = consul
        self.keeper = keeper
        self.identity = identity
        self.key = f"{prefix}{identity.member}"
        self.status = status
        self.interval = interval
        self.published = 0
        self._poke = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Publish soon (e.g. the routing table changed)."""
        self._poke.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cluster:publish")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def value(self) -> dict[str, Any]:
        return {**self.identity.to_dict(), **self.status(), "updated_at": time.time()}

    async def _run(self) -> None:
        while True:
            session = self.keeper.id
            if session is not None:
                try:
                    if await self.consul.kv.put(self.key, self.value(), acquire=session):
                        self.published += 1
                    else:  # the previous holder's lock-delay: try again at the next round
                        log.debug("%s is still locked (lock-delay); retrying", self.key)
                except ConsulError as exc:
                    log.debug("publishing %s failed: %s", self.key, exc)
            await asyncio.sleep(_MIN_GAP)
            self._poke.clear()
            wait = self.interval - _MIN_GAP if session is not None else 0.5
            try:
                async with asyncio.timeout(max(0.0, wait)):
                    await self._poke.wait()
            except TimeoutError:
                pass
