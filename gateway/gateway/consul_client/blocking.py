"""One blocking-query loop with Consul's client rules, shared by every watcher.

Rules (Consul's "Blocking Queries" page): the index sent is always >= 1 and is reset to 0
when Consul's index goes backwards (the agent restarted); each loop is rate-limited (token
bucket, burst 2); errors back off exponentially with jitter; ``wait`` is jittered so many
watchers do not wake in lock-step. After an error the next query does not block: the agent
may be a new one with a lower index, where an old, higher index would block a whole ``wait``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .errors import ConsulError
from .ratelimit import TokenBucket

__all__ = ["Fetch", "follow", "jittered_wait"]

T = TypeVar("T")

# fetch(index, wait, wait_s) -> (data, new index)
Fetch = Callable[[int, str, float], Awaitable[tuple[T, int]]]


def jittered_wait(wait_s: float) -> tuple[str, float]:
    """``wait`` for one query: 85-100 % of ``wait_s``, as a Go duration and in seconds."""
    seconds = wait_s * random.uniform(0.85, 1.0)
    return f"{int(seconds * 1000)}ms", seconds


async def follow(
    fetch: Fetch[T],
    on_result: Callable[[T, int, bool], None],
    on_error: Callable[[str], None],
    *,
    wait_s: float,
    min_interval: float = 0.1,
    backoff_max: float = 2.0,
) -> None:
    """Run until cancelled: ``on_result(data, index, went_back)`` after each answer,
    ``on_error(message)`` after each failed query."""
    index = 0  # what the next query sends (0 = answer at once)
    last = 0  # the last index Consul reported
    backoff = 0.1
    bucket = TokenBucket(min_interval, burst=2)
    while True:
        await bucket.take()
        wait, seconds = jittered_wait(wait_s)
        try:
            data, new_index = await fetch(index, wait, seconds)
        except ConsulError as exc:
            on_error(str(exc))
            index = 0
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, backoff_max)
            continue
        backoff = 0.1
        went_back = new_index < last
        last = new_index
        index = 0 if went_back else max(new_index, 1)
        on_result(data, new_index, went_back)
