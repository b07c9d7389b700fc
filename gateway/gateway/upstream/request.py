"""One upstream call as a single object carried through attempts and retries.

``ServiceClient`` builds an ``UpstreamRequest`` once per call and hands it to ``_attempt``,
``_retry``, ``_send`` and ``_classify`` (as httpx carries its ``Request`` through transports),
instead of a dozen positional arguments each. Slots: no per-request ``__dict__``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import Any

from ..discovery.instance import Instance

__all__ = ["ReplayGuard", "UpstreamRequest"]


class ReplayGuard:
    """Wraps a streamed request body and remembers whether any byte was consumed."""

    __slots__ = ("source", "started")

    def __init__(self, source: AsyncIterable[bytes]) -> None:
        self.source = source
        self.started = False

    async def __aiter__(self) -> Any:
        self.started = True
        async for chunk in self.source:
            yield chunk


@dataclass(slots=True)
class UpstreamRequest:
    """What to send and where it may go; ``tried`` grows as attempts pick instances."""

    service: str
    instances: tuple[Instance, ...]
    method: str
    path: str  # for log lines; ``target`` is what goes on the wire
    target: str  # path + encoded query
    headers: list[tuple[bytes, bytes]] | bytes  # pairs, or joined lines (ServiceClient.forward)
    body: Any  # bytes, a ReplayGuard over a stream, or None
    body_length: int | None  # declared Content-Length of a streamed body
    guard: ReplayGuard | None
    timeout: float | None
    stream: bool
    policy: str | None  # balancer policy of the service (None: the default)
    max_attempts: int
    same_target_ok: bool = False  # fixed address: retries go to the same instance
    tried: set[str] = field(default_factory=set)
    retry_timeouts: bool = False  # idempotent: a per-try timeout is retried on another instance
    started: float = 0.0  # time.monotonic() of the call; the total timeout counts from here
    try_timeout: float | None = None  # per-try override (a service's policy); None: the client's
    retry_statuses: frozenset[int] = frozenset()  # answers retried on another instance (policy)

    @property
    def body_replayable(self) -> bool:
        return self.guard is None or not self.guard.started

    def can_retry(self) -> bool:
        return self.same_target_ok or any(i.id not in self.tried for i in self.instances)
