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
from collections.abc import Coroutine
from typing import Any, Protocol

from starlette.types import Scope
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from .limits import HeadGuard, HeadLimits, HeadRejected, limit_response

__all__ = ["CoalescingHttpToolsProtocol", "CoalescingTransport", "DirectApp", "protocol_with_limits"]


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

    def write_now(self, data: bytes) -> None:
        """Write at once, after anything already gathered: for a response written whole in
        one piece (the direct proxy path), where there is nothing to gather it with."""
        if self._buffer:
            self.write(data)
            self.flush()
        elif not self._transport.is_closing():
            self._transport.write(data)

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


class DirectApp(Protocol):
    """An app the protocol calls straight for the requests it takes (``plans`` and ``plan``);
    every other request goes to the ASGI app uvicorn was given."""

    def plans(self, scope: Scope) -> bool:
        """May ``plan`` take this request? Asked when its head is complete; ``plan`` is then
        called once its body is (see ``_start_asgi_task``)."""
        ...

    def plan(self, cycle: Any) -> Coroutine[Any, Any, None] | None:
        """The coroutine serving this request (its body complete) by itself, writing to the
        cycle's transport and answering its own errors; None: the ASGI app serves it."""
        ...


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """Plus a lazy keep-alive timer: uvicorn arms a ``call_later`` after every response and
    cancels it when the next request arrives (~2.6 µs per request under uvloop). Here one
    timer per connection stays armed and, when it fires, closes the connection only if it
    has been idle for ``timeout_keep_alive`` since its last response (else re-arms)."""

    head_limits = HeadLimits()
    direct: DirectApp | None = None
    _ka_timer: asyncio.TimerHandle | None = None
    _ka_idle = False
    _ka_since = 0.0
    _head: HeadGuard
    _head_timer: asyncio.TimerHandle | None = None
    _rejected: HeadRejected | None = None
    _raw_transport: asyncio.Transport
    _deferred: tuple[RequestResponseCycle, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._raw_transport = transport
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
        now = self.loop.time()
        self._head = HeadGuard(self.head_limits, now)
        self._arm_head_timer(now + self.head_limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deferred = None  # never started: nobody to answer
        super().connection_lost(exc)
        if self._ka_timer is not None:
            self._ka_timer.cancel()
            self._ka_timer = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    # ------------------------------------------------------------------ head limits
    # The guard's bookkeeping is done inline below and its methods are called only to raise:
    # these callbacks run several times per request, and a call costs ~0.15 µs on this Python.
    def data_received(self, data: bytes) -> None:
        raw = self._raw_transport
        if raw.is_closing():
            return
        head = self._head
        if head.reading:
            if head.started is None:
                head.started = now = self.loop.time()
                if self._head_timer is None:
                    self._arm_head_timer(now + self.head_limits.header_timeout)
            head.head_bytes += len(data)
        super().data_received(data)  # a limit hit in a callback ends in send_400_response
        if head.reading and head.head_bytes > self.head_limits.max_header_bytes and not raw.is_closing():
            try:
                head.check_size()
            except HeadRejected as exc:
                self._refuse(exc)

    def on_url(self, url: bytes) -> None:
        head = self._head
        if head.url_bytes + len(url) > self.head_limits.max_request_line:
            try:
                head.url(len(url))
            except HeadRejected as exc:
                self._rejected = exc
                raise  # httptools stops parsing and raises HttpParserCallbackError
        head.url_bytes += len(url)
        self.url += url  # uvicorn's on_url

    def on_header(self, name: bytes, value: bytes) -> None:
        head = self._head
        if head.headers >= self.head_limits.max_headers:
            try:
                head.header()
            except HeadRejected as exc:
                self._rejected = exc
                raise
        head.headers += 1
        # uvicorn 0.54's on_header:
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._head.reading = False  # HeadGuard.complete
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._head.next_request()
        super().on_message_complete()
        deferred = self._deferred
        if deferred is not None:
            self._deferred = None
            self._start_direct(self.direct, *deferred)  # type: ignore[arg-type]

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

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        direct = self.direct
        if direct is None or app is not self.app:  # not the app: uvicorn's limit_concurrency 503
            super()._start_asgi_task(cycle, app)
        elif cycle.more_body and direct.plans(cycle.scope):  # type: ignore[arg-type]
            # Called when the head is complete; the body (usually in the same packet) is not
            # parsed yet. Start once it is: on_message_complete, or on_body past the point
            # where uvicorn stops reading (then the general path streams it).
            self._deferred = (cycle, app)
        else:
            self._start_direct(direct, cycle, app)

    def _start_direct(self, direct: DirectApp, cycle: RequestResponseCycle, app: Any) -> None:
        coroutine = direct.plan(cycle) if not cycle.more_body else None
        if coroutine is None:
            super()._start_asgi_task(cycle, app)
            return
        task = self.loop.create_task(coroutine)
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        deferred = self._deferred
        if deferred is not None and len(deferred[0].body) > HIGH_WATER_LIMIT:
            self._deferred = None  # uvicorn paused reading: a task must consume the body
            self._start_direct(self.direct, *deferred)  # type: ignore[arg-type]

    def _ka_check(self) -> None:
        self._ka_timer = None
        if not self._ka_idle:
            return  # serving a request; the next response re-arms
        due = self._ka_since + self.timeout_keep_alive
        if self.loop.time() + _TIMER_SLACK >= due:
            self.timeout_keep_alive_handler()
        else:
            self._ka_timer = self.loop.call_at(due, self._ka_check)


def protocol_with_limits(
    limits: HeadLimits, direct: DirectApp | None = None
) -> type[CoalescingHttpToolsProtocol]:
    """The protocol class uvicorn instantiates, with these head limits; requests ``direct``
    plans are served by it straight from the protocol."""
    attrs = {"head_limits": limits, "direct": direct}
    return type("LimitedHttpToolsProtocol", (CoalescingHttpToolsProtocol,), attrs)
