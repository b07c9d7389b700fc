"""Wake-ups for blocking queries: one ``asyncio.Event`` per watched key, shared by all its waiters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

__all__ = ["WatchHub"]


class WatchHub:
    """Keys are strings such as ``svc:<name>``, ``services``, ``checks``, ``kv:<key>``.

    ``notify`` sets and forgets the key's event, so each change wakes the current waiters exactly
    once and later waiters get a fresh event.  Waiters never poll and hold no thread.
    """

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def notify(self, keys: Iterable[str]) -> None:
        for key in keys:
            event = self._events.pop(key, None)
            if event is not None:
                event.set()

    def waiting_keys(self) -> int:
        return len(self._events)

    async def wait(self, keys: Sequence[str], timeout: float) -> bool:
        """Wait until any of ``keys`` is notified (True) or ``timeout`` seconds pass (False)."""
        if timeout <= 0:
            return False
        events = [self._events.setdefault(key, asyncio.Event()) for key in keys]
        if len(events) == 1:
            try:
                async with asyncio.timeout(timeout):
                    await events[0].wait()
                return True
            except TimeoutError:
                return False
        tasks = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        return bool(done)
