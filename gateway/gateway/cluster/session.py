"""``SessionKeeper``: this process's Consul session, renewed at TTL/2, given up when it cannot be.

The session is what makes the leader lock and this worker's entry under ``instances/``
disappear when the process dies (``Behavior=delete``). Consul never invalidates a session
earlier than TTL after the last renewal reached it, so a renewal *sent* at ``t`` keeps the
session safe until ``t + TTL``. When renewals keep failing (Consul unreachable) the keeper
declares the session lost at 90 % of that (``lost`` listeners run: the leader steps down)
rather than hold locks it cannot prove it still has.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ..consul_client import ConsulClient, ConsulError

__all__ = ["SessionKeeper"]

log = logging.getLogger("gateway.cluster")


class SessionKeeper:
    def __init__(
        self, consul: ConsulClient, name: str, *, ttl: float, lock_delay: float, retry: float = 1.0
    ) -> None:
        self.consul = consul
        self.name = name
        self.ttl = ttl
        self.lock_delay = lock_delay
        self.retry = retry
        self.id: str | None = None
        self.safe_until = 0.0  # monotonic: the session surely exists until then
        self._orphan: str | None = None  # a session given up while Consul was unreachable
        self._lost: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._have = asyncio.Event()

    def on_lost(self, listener: Callable[[], None]) -> None:
        self._lost.append(listener)

    @property
    def valid(self) -> bool:
        return self.id is not None and time.monotonic() < self.safe_until

    async def ensure(self) -> str:
        """The current session id; creates one if there is none (raises ``ConsulError``)."""
        if self.id is not None:
            return self.id
        if self._orphan is not None:
            # Destroy the session we gave up on: its locks are freed now (after lock-delay)
            # instead of when Consul's TTL finally expires it.
            try:
                await self.consul.sessions.destroy(self._orphan)
            except ConsulError as exc:
                log.debug("could not destroy the old session %s: %s", self._orphan, exc)
            self._orphan = None
        sent = time.monotonic()
        sid = await self.consul.sessions.create(
            self.name, ttl=self.ttl, lock_delay=self.lock_delay, behavior="delete"
        )
        self.id, self.safe_until = sid, sent + self.ttl
        self._have.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._renew_loop(), name="cluster:session-renew")
        log.info("session %s created (ttl %.0fs, lock-delay %.0fs)", sid, self.ttl, self.lock_delay)
        return sid

    async def _renew_loop(self) -> None:
        while self.id is not None:
            sid = self.id
            # Renew at TTL/2; while renewals fail, retry every ``retry`` seconds.
            deadline = self.safe_until - self.ttl / 2
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            if self.id != sid:
                return
            sent = time.monotonic()
            give_up_at = self.safe_until - self.ttl * 0.1
            try:
                # A renewal still in flight when the session may be gone counts as failed.
                async with asyncio.timeout(max(0.05, give_up_at - sent)):
                    alive = await self.consul.sessions.renew(sid)
            except (ConsulError, TimeoutError) as exc:
                if time.monotonic() >= give_up_at:
                    log.warning("session %s not renewed within its TTL (%s): giving it up", sid, exc)
                    self._orphan = sid
                    self._give_up()
                    return
                log.warning("renewing session %s failed (%s); retrying", sid, exc)
                await asyncio.sleep(self.retry)
                continue
            if not alive:
                log.warning("session %s was invalidated by Consul", sid)
                self._give_up()
                return
            self.safe_until = sent + self.ttl

    def _give_up(self) -> None:
        self.id = None
        self.safe_until = 0.0
        self._have.clear()
        for listener in list(self._lost):
            try:
                listener()
            except Exception:
                log.exception("session-lost listener failed")

    async def close(self) -> None:
        """Stop renewing and destroy the session (its keys go, its locks are freed)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        sid, self.id = self.id, None
        self.safe_until = 0.0
        if sid is not None:
            try:
                await self.consul.sessions.destroy(sid)
            except ConsulError as exc:
                log.warning("could not destroy session %s: %s", sid, exc)
