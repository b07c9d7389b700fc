"""``PrefixWatch``: follows a KV prefix with blocking queries and reports each change.

Shared state (flows, policies, autoscaling settings) lives under one prefix per kind; each
process watches its prefixes and rebuilds what it serves from the entries. A change in
Consul reaches the callback within one round trip (the blocking query returns at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from servicekit import parse_go_duration

from .blocking import follow
from .kv import KVEntry, KVStore

__all__ = ["PrefixListener", "PrefixWatch"]

log = logging.getLogger("gateway.consul")

PrefixListener = Callable[[tuple[KVEntry, ...]], None]


class PrefixWatch:
    """``start()`` / ``stop()``; ``on_change(entries)`` runs on the first answer and whenever
    any key under ``prefix`` is added, changed or removed. ``entries`` is the last answer."""

    def __init__(
        self,
        kv: KVStore,
        prefix: str,
        on_change: PrefixListener,
        *,
        wait: str = "30s",
        min_interval: float = 0.05,
        backoff_max: float = 2.0,
    ) -> None:
        self.kv = kv
        self.prefix = prefix
        self.on_change = on_change
        self.wait_s = parse_go_duration(wait)
        self.min_interval = min_interval
        self.backoff_max = backoff_max
        self.entries: tuple[KVEntry, ...] = ()
        self.index = 0
        self.last_error = ""
        self.failing = False
        self._seen: tuple[tuple[str, int], ...] | None = None
        self._first = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self._first.is_set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"kv-watch:{self.prefix}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self._first.wait()
        except TimeoutError:
            return False
        return True

    async def wait_answer(self, timeout: float) -> bool:
        """Wait for the next answer from Consul to be handled; False on timeout."""
        event = self._changed
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True

    async def wait_index(self, index: int, timeout: float) -> bool:
        """Wait until an answer at or after Consul index ``index`` was handled; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.index < index:
            left = deadline - loop.time()
            if left <= 0:
                return False
            event = self._changed
            try:
                async with asyncio.timeout(left):
                    await event.wait()
            except TimeoutError:
                return False
        return True

    async def _run(self) -> None:
        async def fetch(index: int, wait: str, wait_s: float) -> tuple[list[KVEntry], int]:
            return await self.kv.list(self.prefix, index=index, wait=wait, wait_s=wait_s)

        await follow(
            fetch,
            self._on_result,
            self._on_error,
            wait_s=self.wait_s,
            min_interval=self.min_interval,
            backoff_max=self.backoff_max,
        )

    def _on_error(self, message: str) -> None:
        if not self.failing:
            log.warning("watch of %s failing (%s): keeping the last entries", self.prefix, message)
        self.failing = True
        self.last_error = message

    def _on_result(self, entries: list[KVEntry], index: int, went_back: bool) -> None:
        if self.failing:
            log.info("watch of %s resumed", self.prefix)
        self.failing = False
        self.index = index
        seen = tuple((e.key, e.modify_index) for e in entries)
        changed = seen != self._seen or went_back
        if changed:
            self._seen = seen
            self.entries = tuple(entries)
            try:
                self.on_change(self.entries)
            except Exception:  # a listener must never stop the watch
                log.exception("listener of %s failed", self.prefix)
        self._first.set()
        event, self._changed = self._changed, asyncio.Event()
        event.set()
