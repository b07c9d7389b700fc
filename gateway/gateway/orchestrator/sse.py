"""Server-sent events helpers: relay a node's stream, or collect it when a node follows it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .observer import FlowObserver

__all__ = ["StreamHandle", "parse_sse_data"]


def parse_sse_data(raw: bytes) -> list[str]:
    """The ``data:`` payloads of an SSE body, one string per event (multi-line data joined by \\n)."""
    events: list[str] = []
    for block in raw.decode(errors="replace").replace("\r\n", "\n").split("\n\n"):
        lines = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if lines:
            events.append("\n".join(lines))
    return events


class StreamHandle:
    """Owns one upstream stream: relays it once, closes it exactly once, reports it once.

    ``abort()`` covers the cases a generator's ``finally`` cannot: a stream that is
    never iterated (flow failed elsewhere, caller dropped the result).
    """

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]] | None,
        observer: FlowObserver,
        flow: str,
        node: str,
    ) -> None:
        self._chunks = chunks
        self._close = close
        self._observer = observer
        self._flow, self._node = flow, node
        self._t0 = time.perf_counter()
        self.closed = False
        observer.stream_opened(flow, node)

    async def relay(self) -> AsyncIterator[bytes]:
        ok = False
        try:
            async for chunk in self._chunks:
                yield chunk
            ok = True
        finally:
            await self._finish(ok)

    async def collect(self) -> dict[str, Any]:
        buf = bytearray()
        ok = False
        try:
            async for chunk in self._chunks:
                buf.extend(chunk)
            ok = True
        finally:
            await self._finish(ok)
        events = parse_sse_data(bytes(buf))
        return {"text": "".join(e for e in events if e != "[DONE]"), "events": events}

    async def abort(self) -> None:
        await self._finish(False)

    async def _finish(self, ok: bool) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            aclose = getattr(self._chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            if self._close is not None:
                await self._close()
        finally:
            self._observer.stream_closed(self._flow, self._node, ok, time.perf_counter() - self._t0)
