"""The blocking-query loop of contract §6.2."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ..watch import WatchHub
from .query import QueryOptions

__all__ = ["block"]


async def block(
    hub: WatchHub, opts: QueryOptions, index_fn: Callable[[], int], keys_fn: Callable[[], Sequence[str]]
) -> int:
    """Return the current index once it exceeds ``opts.index`` or the wait elapses.

    The caller renders its result synchronously right after this returns, so the body always
    matches the returned index (the event loop runs nothing in between).
    """
    index = max(index_fn(), 1)
    if not opts.index or index > opts.index:
        return index
    deadline = time.monotonic() + opts.wait
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return max(index_fn(), 1)
        await hub.wait(keys_fn(), remaining)
        index = max(index_fn(), 1)
        if index > opts.index or hub.closed:  # closed: the agent is stopping, answer now
            return index
