"""uvicorn's httptools protocol with write coalescing: one ``send()`` syscall per response.

uvicorn writes a response's head and its body with two ``transport.write`` calls, and on
loopback each write is a full trip through the kernel's TCP stack. py-spy under wrk showed
those writes as the largest single cost of the proxy path. This protocol hands uvicorn a
transport wrapper that gathers the writes made during one event-loop iteration and sends
them together (immediately once 64 KiB are pending, so streamed bodies keep flowing and
memory stays bounded). Everything else is uvicorn's own ``HttpToolsProtocol``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CoalescingHttpToolsProtocol", "CoalescingTransport"]

_FLUSH_AT = 64 * 1024


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
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
