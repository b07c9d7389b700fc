"""A node's stream: relayed to the client, or collected into a document for the next node.

A collected stream is never dropped. When every non-blank line is an SSE field (``data:``,
``event:``, ``id:``, ``retry:``, ``:comment``) the next node gets the events' data joined
(OPEA's ``data: b'...'`` framing unwrapped, ``[DONE]`` left out) plus the events; any other
body (a service streaming raw tokens as ``text/event-stream``, as OPEA's own test service
does) is passed on whole as text. A stream larger than ``MAX_COLLECTED`` fails the node
instead of growing memory.
"""

from __future__ import annotations

import ast
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .errors import NodeCallError
from .observer import FlowObserver

__all__ = ["MAX_COLLECTED", "StreamHandle", "parse_sse_data", "stream_document"]

MAX_COLLECTED = 16 * 1024 * 1024
_SSE_FIELDS = ("data:", "event:", "id:", "retry:", ":")


def parse_sse_data(raw: bytes) -> list[str]:
    """The ``data:`` payloads of an SSE body, one string per event (multi-line data joined by \\n)."""
    events: list[str] = []
    for block in raw.decode(errors="replace").replace("\r\n", "\n").split("\n\n"):
        lines = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if lines:
            events.append("\n".join(lines))
    return events


def _unwrap(event: str) -> str:
    """OPEA's framing, ``data: b'token'``: the token (a Python bytes literal, parsed safely)."""
    if len(event) >= 3 and event[0] == "b" and event[1] in "'\"" and event[-1] == event[1]:
        try:
            value = ast.literal_eval(event)
        except (ValueError, SyntaxError):
            return event
        if isinstance(value, bytes):
            return value.decode(errors="replace")
    return event


def stream_document(raw: bytes) -> dict[str, Any]:
    """``{"text", "events"}`` for the next node; see the module docstring."""
    text = raw.decode(errors="replace")
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    if lines and all(line.startswith(_SSE_FIELDS) for line in lines):
        events = parse_sse_data(raw)
        return {"text": "".join(_unwrap(e) for e in events if e != "[DONE]"), "events": events}
    return {"text": text, "events": []}


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
        request_started: float | None = None,
    ) -> None:
        self._chunks = chunks
        self._close = close
        self._observer = observer
        self._flow, self._node = flow, node
        self._t0 = time.perf_counter()
        # First-token latency counts from the flow's start, as OPEA's does from the request's.
        self._token_from = request_started if request_started is not None else self._t0
        self.closed = False
        observer.stream_opened(flow, node)

    async def relay(self) -> AsyncIterator[bytes]:
        ok = False
        first, last = True, self._token_from
        try:
            async for chunk in self._chunks:
                now = time.perf_counter()
                self._observer.stream_token(self._flow, first, now - last)
                first, last = False, now
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
                if len(buf) > MAX_COLLECTED:
                    raise NodeCallError(
                        "invalid_response",
                        f"stream longer than {MAX_COLLECTED} bytes cannot be passed to the next node",
                    )
            ok = True
        finally:
            await self._finish(ok)
        return stream_document(bytes(buf))

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
