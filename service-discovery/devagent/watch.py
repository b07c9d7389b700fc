"""Wake-ups for blocking queries: one ``asyncio.Event`` per watched key, shared by all its waiters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

__all__ = ["WatchHub"]


class WatchHub:
    """Keys are strings such as ``svc:<name>``, ``services``, ``checks``, ``kv:<key>``.

    ``notify`` sets and forgets the key's event, so each change wakes the current waiters exactly
    once and later waiters get a fresh event.  Waiters never poll and hold no thread.  An event
    whose last waiter timed out is dropped, so keys nobody watches any more do not accumulate.
    """

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiters: dict[str, int] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """The agent is stopping: wake every waiter now and let later waits return at once, so
        open blocking queries are answered instead of being cancelled (a traceback) at exit."""
        self._closed = True
        self.notify(list(self._events))

    def notify(self, keys: Iterable[str]) -> None:
        for key in keys:
            event = self._events.pop(key, None)
            if event is not None:
                self._waiters.pop(key, None)
                event.set()

    def waiting_keys(self) -> int:
        return len(self._events)

    def _acquire(self, key: str) -> asyncio.Event:
        event = self._events.get(key)
        if event is None:
            event = self._events[key] = asyncio.Event()
        self._waiters[key] = self._waiters.get(key, 0) + 1
        return event

    def _release(self, key: str, event: asyncio.Event) -> None:
        if self._events.get(key) is not event:
            return  # already notified and replaced
        left = self._waiters.get(key, 1) - 1
        if left <= 0:
            self._waiters.pop(key, None)
            del self._events[key]
        else:
            self._waiters[key] = left

    async def wait(self, keys: Sequence[str], timeout: float) -> bool:
        """Wait until any of ``keys`` is notified (True) or ``timeout`` seconds pass (False)."""
        if timeout <= 0 or self._closed:
            return False
        events = [(key, self._acquire(key)) for key in keys]
        try:
            if len(events) == 1:
                try:
                    async with asyncio.timeout(timeout):
                        await events[0][1].wait()
                    return True
                except TimeoutError:
                    return False
            tasks = [asyncio.ensure_future(event.wait()) for _, event in events]
            try:
                done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
            return bool(done)
        finally:
            for key, event in events:
                self._release(key, event)
