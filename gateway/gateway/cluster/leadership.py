"""``Leadership``: one gateway process in the cluster holds ``<prefix>leader`` and runs the singletons.

Consul's leader-election pattern (its "application leader election with sessions" guide and
``api/lock.go``): every process has a session (``SessionKeeper``) and tries
``PUT <prefix>leader?acquire=<session>``; the one that succeeds leads. The others follow the
key with a blocking query; when the leader's session dies the key is deleted (the session's
``Behavior=delete``) and they try again, every ``retry`` seconds while Consul's lock-delay
still refuses them. The leader steps down when its session is invalidated, when it cannot
renew it (Consul unreachable) or when the key is no longer held by its session.

Singleton work (the replica janitor, the autoscaler) is registered with
``run_while_leading(name, factory)``: started when this process becomes leader, cancelled
when it steps down, restarted after a crash while still leading.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..consul_client import ConsulClient, ConsulError, KVEntry
from .identity import Identity
from .session import SessionKeeper

__all__ = ["Leadership", "Singleton"]

log = logging.getLogger("gateway.cluster")

Singleton = Callable[[], Awaitable[None]]


class Leadership:
    """``is_leader``, ``leader`` (the holder's identity as last seen), singletons, listeners."""

    def __init__(
        self,
        consul: ConsulClient,
        keeper: SessionKeeper | None,
        identity: Identity,
        *,
        key: str,
        retry: float = 1.0,
        wait: float = 10.0,
    ) -> None:
        self.consul = consul
        self.keeper = keeper  # None: election off, this process always leads
        self.identity = identity
        self.key = key
        self.retry = retry
        self.wait = wait
        self.leader: dict[str, Any] | None = None
        self.since: float | None = None  # wall-clock time this process became leader
        self.transitions = 0
        self._leading = False
        self._singletons: dict[str, Singleton] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._listeners: list[Callable[[bool], None]] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        if keeper is not None:
            keeper.on_lost(lambda: self._set_leading(False, "session lost"))

    # ---------------------------------------------------------------- read side
    @property
    def is_leader(self) -> bool:
        return self._leading

    @property
    def enabled(self) -> bool:
        return self.keeper is not None

    @property
    def leader_instance(self) -> str | None:
        """The instance id of the current leader (as this process last saw it)."""
        if self.leader is None:
            return None
        value = self.leader.get("instance")
        return value if isinstance(value, str) else None

    def status(self) -> dict[str, Any]:
        return {
            "election": self.enabled,
            "is_leader": self._leading,
            "leader": self.leader,
            "key": self.key,
            "session": self.keeper.id if self.keeper is not None else None,
            "since": self.since,
            "singletons": sorted(self._singletons),
        }

    def subscribe(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """``listener(is_leader)`` after every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def wait_leading(self, leading: bool = True, timeout: float | None = None) -> bool:
        """Wait until ``is_leader == leading``; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._leading != leading:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            try:
                async with asyncio.timeout(left):
                    await self._changed.wait()
            except TimeoutError:
                return False
        return True

    # ---------------------------------------------------------------- singletons
    def run_while_leading(self, name: str, factory: Singleton) -> Callable[[], None]:
        """Run ``await factory()`` whenever this process leads (cancelled on step-down)."""
        self._singletons[name] = factory
        if self._leading:
            self._start_singleton(name)

        def unregister() -> None:
            self._singletons.pop(name, None)
            task = self._running.pop(name, None)
            if task is not None:
                task.cancel()

        return unregister

    def _start_singleton(self, name: str) -> None:
        if name in self._running and not self._running[name].done():
            return
        self._running[name] = asyncio.create_task(self._supervise(name), name=f"leader:{name}")

    async def _supervise(self, name: str) -> None:
        while self._leading and name in self._singletons:
            try:
                await self._singletons[name]()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("singleton %s failed; restarting in 1s", name)
                await asyncio.sleep(1.0)

    def _set_leading(self, leading: bool, why: str) -> None:
        if leading == self._leading:
            return
        self._leading = leading
        self.transitions += 1
        self.since = time.time() if leading else None
        if leading:
            log.info("this gateway (%s) is now the leader (%s)", self.identity.member, why)
            for name in list(self._singletons):
                self._start_singleton(name)
        else:
            log.warning("this gateway (%s) stepped down as leader: %s", self.identity.member, why)
            for task in self._running.values():
                task.cancel()
            self._running.clear()
        event, self._changed = self._changed, asyncio.Event()
        event.set()
        for listener in list(self._listeners):
            try:
                listener(leading)
            except Exception:
                log.exception("leadership listener failed")

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        if self.keeper is None:
            self.leader = self._value()
            self._set_leading(True, "leader election is off")
            return
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cluster:leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        was_leading = self._leading
        self._set_leading(False, "shutting down")
        tasks = list(self._running.values())
        await asyncio.gather(*tasks, return_exceptions=True)
        if was_leading and self.keeper is not None and self.keeper.id is not None:
            # Release explicitly: unlike a destroyed session, a release has no lock-delay,
            # so another instance takes over at once.
            try:
                await self.consul.kv.put(self.key, self._value(), release=self.keeper.id)
            except ConsulError as exc:
                log.warning("could not release %s: %s", self.key, exc)

    def _value(self) -> dict[str, Any]:
        return {**self.identity.to_dict(), "since": time.time()}

    async def _run(self) -> None:
        assert self.keeper is not None
        index = 0
        backoff = 0.1
        while True:
            try:
                session = await self.keeper.ensure()
                wait = f"{int(self.wait * 1000)}ms"
                entry, new_index = await self.consul.kv.get(
                    self.key, index=index, wait=wait, wait_s=self.wait
                )
            except ConsulError as exc:
                log.debug("leader election: %s", exc)
                index = 0
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.1
            index = 0 if new_index < index else max(new_index, 1)
            if await self._observe(entry, session):
                index = 0  # just acquired: read the key back at once
            elif entry is None or entry.session is None:
                await asyncio.sleep(self.retry)  # free but refused: lock-delay is running
                index = 0

    async def _observe(self, entry: KVEntry | None, session: str) -> bool:
        """Update what we know from the key; try to take it when free. True if just acquired."""
        if entry is not None and entry.session is not None:
            try:
                holder = entry.json()
            except ValueError:
                holder = {"instance": None, "raw": entry.value[:100].decode(errors="replace")}
            self.leader = holder if isinstance(holder, dict) else {"instance": None}
            if entry.session == session and self.keeper is not None and self.keeper.valid:
                self._set_leading(True, "holds the lock")
            else:
                self._set_leading(False, f"the lock is held by {self.leader.get('instance')}")
            return False
        self.leader = None
        self._set_leading(False, "the lock is free")
        try:
            acquired = await self.consul.kv.put(self.key, self._value(), acquire=session)
        except ConsulError as exc:
            log.debug("acquire of %s failed: %s", self.key, exc)
            return False
        if acquired:
            self.leader = self._value()
            self._set_leading(True, "acquired the lock")
        return acquired
