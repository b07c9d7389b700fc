"""uvicorn's httptools protocol with write coalescing: one ``send()`` syscall per response.

uvicorn writes a response's head and its body with two ``transport.write`` calls, and on
loopback each write is a full trip through the kernel's TCP stack. py-spy under wrk showed
those writes as the largest single cost of the proxy path. This protocol hands uvicorn a
transport wrapper that gathers the writes made during one event-loop iteration and sends
them together (immediately once 64 KiB are pending, so streamed bodies keep flowing and
memory stays bounded). The keep-alive timeout is kept with one lazy timer per connection
instead of a new timer per response. Request heads are bounded while they arrive
(``limits.HeadGuard``: request-line and head size, header count, a header-read deadline that
also closes connections that never send anything). Everything else is uvicorn's own
``HttpToolsProtocol``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .limits import HeadGuard, HeadLimits, HeadRejected, limit_response

__all__ = ["CoalescingHttpToolsProtocol", "CoalescingTransport", "protocol_with_limits"]

_FLUSH_AT = 64 * 1024
_TIMER_SLACK = 0.001  # uvloop timers have millisecond resolution and may fire that much early


class CoalescingTransport:
    """Delegates to ``transport``; ``write`` is deferred to the end of the loop iteration."""

    __slots__ = ("_transport", "_loop", "_buffer", "_size", "_scheduled")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._buffer: list[bytes] = []
        self._size = 0
        self._scheduled = False

    def write(self, data: bytes) -> None:
        self._buffer.append(data)
        self._size += len(data)
        if self._size >= _FLUSH_AT:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        buffer = self._buffer
        if not buffer:
            return
        self._buffer = []
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(buffer[0] if len(buffer) == 1 else b"".join(buffer))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """Plus a lazy keep-alive timer: uvicorn arms a ``call_later`` after every response and
    cancels it when the next request arrives (~2.6 µs per request under uvloop). Here one
    timer per connection stays armed and, when it fires, closes the connection only if it
    has been idle for ``timeout_keep_alive`` since its last response (else re-arms)."""

    head_limits = HeadLimits()
    _ka_timer: asyncio.TimerHandle | None = None
    _ka_idle = False
    _ka_since = 0.0
    _head: HeadGuard
    _head_timer: asyncio.TimerHandle | None = None
    _rejected: HeadRejected | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
        now = self.loop.time()
        self._head = HeadGuard(self.head_limits, now)
        self._arm_head_timer(now + self.head_limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self._ka_timer is not None:
            self._ka_timer.cancel()
            self._ka_timer = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    # ------------------------------------------------------------------ head limits
    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        head = self._head
        if head.reading:
            fresh = head.started is None
            now = self.loop.time()
            head.received(len(data), now)
            if fresh:
                self._arm_head_timer(now + self.head_limits.header_timeout)
        super().data_received(data)  # a limit hit in a callback ends in send_400_response
        if head.reading and not self.transport.is_closing():
            try:
                head.check_size()
            except HeadRejected as exc:
                self._refuse(exc)

    def on_url(self, url: bytes) -> None:
        try:
            self._head.url(len(url))
        except HeadRejected as exc:
            self._rejected = exc
            raise  # httptools stops parsing and raises HttpParserCallbackError
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        try:
            self._head.header()
        except HeadRejected as exc:
            self._rejected = exc
            raise
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head.complete()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._head.next_request()
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        rejected, self._rejected = self._rejected, None
        if rejected is not None:
            self._refuse(rejected)
        else:
            super().send_400_response(msg)

    def _refuse(self, exc: HeadRejected) -> None:
        self.transport.write(limit_response(exc.status, exc.detail))
        self.transport.close()

    def _arm_head_timer(self, when: float) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(when, self._head_check)

    def _head_check(self) -> None:
        self._head_timer = None
        head = self._head
        late = head.overdue(self.loop.time() + _TIMER_SLACK)
        if late is None or self.transport.is_closing():
            return  # no head awaited: the next head's first byte re-arms
        if late < 0:
            self._head_timer = self.loop.call_at(self.loop.time() - late, self._head_check)
        elif head.head_bytes:
            self._refuse(HeadRejected(408, "request head not received in time"))
        else:
            self.transport.close()  # connected and never sent a byte: nothing to answer

    def _unset_keepalive_if_required(self) -> None:
        self._ka_idle = False  # busy again; a pending check sees it and does nothing

    def on_response_complete(self) -> None:
        # uvicorn 0.54's HttpToolsProtocol.on_response_complete, with the lazy timer.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._ka_idle = True
        self._ka_since = self.loop.time()
        if self._ka_timer is None:
            self._ka_timer = self.loop.call_at(self._ka_since + self.timeout_keep_alive, self._ka_check)

    def _ka_check(self) -> None:
        self._ka_timer = None
        if not self._ka_idle:
            return  # serving a request; the next response re-arms
        due = self._ka_since + self.timeout_keep_alive
        if self.loop.time() + _TIMER_SLACK >= due:
            self.timeout_keep_alive_handler()
        else:
            self._ka_timer = self.loop.call_at(due, self._ka_check)


def protocol_with_limits(limits: HeadLimits) -> type[CoalescingHttpToolsProtocol]:
    """The protocol class uvicorn instantiates, with these head limits."""
    return type("LimitedHttpToolsProtocol", (CoalescingHttpToolsProtocol,), {"head_limits": limits})
