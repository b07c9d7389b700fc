"""A small keep-alive HTTP/1.1 client for the proxy hot path (asyncio protocol + httptools).

Why not aiohttp/httpx: measured on this project's 2-core box, a trivial aiohttp-based proxy
tops out near 2.8k req/s and httpx far lower (encode/httpx#3215); most of that is per-request
object machinery, not I/O. This client does only what a proxy needs: pooled keep-alive
connections per ``host:port`` (TLS per request, ``tls=True``: verified against the system CAs
or the context given, certificate and host name checked), one write for head+body, httptools
for parsing, buffered or streamed bodies in both directions, and failures classified by *when*
they happened:

    HttpError
     ├── ConnectError        the connection could not be opened (refused, unreachable, TLS
     │    │                  handshake or certificate verification failed)
     │    └── ConnectTimeout  ... within the connect timeout
     ├── NoResponse          closed/reset before any response byte (request may not have run)
     ├── ResponseTimeout     no complete response head (buffered: no complete body) in time
     └── BodyError           broken in the middle of the response body

A pooled connection the server closed while idle is detected before reuse when possible;
if a reused connection still dies before any response byte, the request is sent once more on
a fresh connection (only when its body can be replayed), as urllib3 and Go's transport do.
"""

from __future__ import annotations

import asyncio
import collections
import math
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import cast

import httptools

__all__ = [
    "BodyError",
    "ConnectError",
    "ConnectTimeout",
    "Http1Client",
    "HttpError",
    "NoResponse",
    "RawResponse",
    "ResponseTimeout",
]

_Key = tuple[str, int, bool]  # host, port, TLS: plain and TLS connections never share a pool
_HIGH_WATER = 1 << 20  # pause reading from the upstream while this much streamed body is unread
_SMALL_BODY = 64 * 1024  # a streamed response declaring at most this is read whole within its attempt
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})


class HttpError(Exception):
    """Base class of this client's failures."""


class ConnectError(HttpError):
    pass


class ConnectTimeout(ConnectError):
    pass


class NoResponse(HttpError):
    pass


class ResponseTimeout(HttpError):
    pass


class BodyError(HttpError):
    pass


class _ExtraBytes(Exception):
    """Raised from a parser callback: bytes follow a complete response (stops the parser)."""


class _Conn(asyncio.Protocol):
    """One upstream connection; one request at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, key: _Key, deadlines: _Deadlines) -> None:
        self.loop = loop
        self.key = key
        self.deadlines = deadlines
        self.deadline = 0.0  # of the current wait, when it has one
        self.waiting_for = ""
        self.host_header = f"{key[0]}:{key[1]}\r\n".encode("latin-1")
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.reused = False
        self.active = False  # a request is in progress on this connection
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused_writing = False
        self._paused_reading = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.got_bytes = False
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.error: HttpError | None = None
        self.head_only = False
        self.streaming = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have the same API.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if not self.active:
            # Bytes on an idle pooled connection (e.g. a server's 408 before it closes): never
            # let them pass for the answer to the next request.
            self.close()
            return
        self.got_bytes = True
        if self.complete:
            self._extra_bytes()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _ExtraBytes):
                self._extra_bytes()
            else:
                self._fail(BodyError(f"invalid HTTP response: {exc}"))
        except httptools.HttpParserUpgrade:
            self._fail(BodyError("upstream switched protocols; not supported"))
        except httptools.HttpParserError as exc:
            self._fail(BodyError(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete:
            return
        if self.head_done and not self._has_framing():
            self.complete = True  # body delimited by connection close
            self._wake()
            return
        if not self.got_bytes:
            self._fail(NoResponse(f"connection closed before any response ({exc or 'EOF'})"))
        elif not self.head_done:
            self._fail(NoResponse(f"connection closed in the response head ({exc or 'EOF'})"))
        else:
            self._fail(BodyError(f"connection closed in the response body ({exc or 'EOF'})"))
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._paused_writing = True

    def resume_writing(self) -> None:
        self._paused_writing = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        if self.complete:
            raise _ExtraBytes()  # a second response glued to the first: never parse it

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.headers = []  # interim response (100 Continue, 103 Early Hints): wait for the real one
            return
        self.status = status
        self.head_done = True
        if self.head_only or status in (204, 304):
            # No body follows; httptools cannot know the request was HEAD. Never reuse after HEAD.
            self.complete = True
            self.keep_alive = status in (204, 304) and self._parser.should_keep_alive()
        waiter = self._waiter  # _wake, inline: once per response
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def on_body(self, body: bytes) -> None:
        if self.complete:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.streaming:
            if self.buffered > _HIGH_WATER and not self._paused_reading and self.transport is not None:
                self._paused_reading = True
                self.transport.pause_reading()
            self._wake()

    def on_message_complete(self) -> None:
        if not self.head_done:
            return  # end of an interim 1xx message
        if not self.complete:
            self.complete = True
            self.keep_alive = self._parser.should_keep_alive()
        waiter = self._waiter  # _wake, inline: once per response
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- helpers
    def small_body(self) -> bool:
        """A declared Content-Length small enough to buffer (``_SMALL_BODY``)."""
        for name, value in self.headers:
            if name.lower() == b"content-length":
                return value.isdigit() and int(value) <= _SMALL_BODY
        return False

    def _has_framing(self) -> bool:
        for name, _ in self.headers:
            low = name.lower()
            if low == b"content-length" or low == b"transfer-encoding":
                return True
        return False

    def _extra_bytes(self) -> None:
        """Bytes after a complete response (one request, one answer): the answer stands as
        it was, nothing of the rest is merged into it, and the connection is not reused."""
        self.keep_alive = False
        self.close()

    def _fail(self, error: HttpError) -> None:
        if self.error is None:
            self.error = error
        self.keep_alive = False
        if self.transport is not None and not self.closed:
            self.transport.close()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, deadline: float | None, what: str) -> None:
        """Wait for the next event (head, body chunk, completion, failure) or the deadline."""
        self._waiter = waiter = self.loop.create_future()
        if deadline is None:
            try:
                await waiter
            finally:
                self._waiter = None
            return
        self.deadline = deadline
        self.waiting_for = what
        deadlines = self.deadlines
        deadlines.add(self)
        try:
            await waiter
        finally:
            self._waiter = None
            deadlines.discard(self)

    def expire(self) -> None:
        """Called by ``_Deadlines`` once this connection's wait is past its deadline."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._fail(ResponseTimeout(f"no {self.waiting_for} in time"))

    async def drain(self) -> None:
        if self._paused_writing and not self.closed:
            self._drain = self.loop.create_future()
            await self._drain
            self._drain = None

    def take_chunks(self) -> list[bytes]:
        out = list(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self._paused_reading and self.transport is not None and not self.closed:
            self._paused_reading = False
            self.transport.resume_reading()
        return out

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Deadlines:
    """Deadlines of the waits in progress on one event loop, served by a single timer.

    A ``call_at`` timer per wait (created, then cancelled when the answer comes, as nearly
    all do) cost ~2.6 µs per request under uvloop. Here a wait just joins a set; the one
    timer is due at the earliest deadline and is re-armed only when a wait needs an earlier
    one (a shorter timeout) or after it fired. Each wait still expires at its own deadline.
    """

    # uvloop's timers have millisecond resolution and may fire up to that much early; a
    # deadline that close counts as reached (as the per-wait timer would have fired then).
    _SLACK = 0.001

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: set[_Conn] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._due = math.inf

    def add(self, conn: _Conn) -> None:
        self.waiting.add(conn)
        if conn.deadline < self._due:
            self._arm(conn.deadline)

    def discard(self, conn: _Conn) -> None:
        self.waiting.discard(conn)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._due = when
        self._timer = self.loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._due = math.inf
        limit = self.loop.time() + self._SLACK
        expired = [c for c in self.waiting if c.deadline <= limit]
        for conn in expired:
            self.waiting.discard(conn)
            conn.expire()
        if self.waiting:
            self._arm(min(c.deadline for c in self.waiting))


class RawResponse:
    """Status, raw headers and the body (``body`` when buffered, else ``aiter()``)."""

    __slots__ = ("status", "headers", "body", "_conn", "_client", "_deadline")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        conn: _Conn | None,
        client: Http1Client,
        deadline: float | None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self._conn = conn
        self._client = client
        self._deadline = deadline

    async def aiter(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            if self.body:
                yield self.body
            return
        try:
            while True:
                if conn.chunks:
                    for chunk in conn.take_chunks():
                        yield chunk
                    continue
                if conn.error is not None:
                    raise conn.error
                if conn.complete:
                    break
                # Between chunks the idle limit restarts: a slow stream is fine, a stalled one is not.
                idle = None if self._deadline is None else conn.loop.time() + self._deadline
                await conn.wait(idle, "response body data")
        finally:
            self.release()

    def release(self) -> None:
        """Return the connection to the pool if the response was read completely, else close it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._client._release(conn)


class Http1Client:
    """Keep-alive connection pools per ``(host, port)``."""

    def __init__(
        self,
        *,
        max_idle_per_host: int = 256,
        idle_timeout: float = 4.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.max_idle_per_host = max_idle_per_host
        # For tls=True requests; None: a default context (system CAs, verification on) on first use.
        self.ssl_context = ssl_context
        # Below uvicorn's 5 s keep-alive: we drop an idle connection before the server does.
        self.idle_timeout = idle_timeout
        self._idle: dict[_Key, list[_Conn]] = {}
        self.connects = 0
        self._deadlines: _Deadlines | None = None

    async def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    async def _connect(self, key: _Key, timeout: float) -> _Conn:
        loop = asyncio.get_running_loop()
        deadlines = self._deadlines
        if deadlines is None or deadlines.loop is not loop:
            deadlines = self._deadlines = _Deadlines(loop)
        conn = _Conn(loop, key, deadlines)
        host, port, tls = key
        context: ssl.SSLContext | None = None
        if tls:
            if self.ssl_context is None:
                self.ssl_context = ssl.create_default_context()
            context = self.ssl_context
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(
                    lambda: conn, host, port, ssl=context, server_hostname=host if tls else None
                )
        except TimeoutError as exc:
            raise ConnectTimeout(f"connect to {key[0]}:{key[1]} timed out after {timeout}s") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {key[0]}:{key[1]}: {exc.strerror or exc}") from exc
        self.connects += 1
        return conn

    def _acquire_idle(self, key: _Key) -> _Conn | None:
        pool = self._idle.get(key)
        if not pool:
            return None
        now = time.monotonic()
        while pool:
            conn = pool.pop()
            if conn.closed or (conn.transport is not None and conn.transport.is_closing()):
                continue
            if now - conn.idle_since > self.idle_timeout:
                conn.close()
                continue
            conn.reused = True
            return conn
        return None

    def _release(self, conn: _Conn) -> None:
        if conn.closed or not conn.complete or not conn.keep_alive or conn.error is not None or conn.chunks:
            conn.close()
            return
        pool = self._idle.setdefault(conn.key, [])
        if len(pool) >= self.max_idle_per_host:
            conn.close()
            return
        conn._reset()
        conn.active = False
        conn.idle_since = time.monotonic()
        pool.append(conn)

    async def request(
        self,
        host: str,
        port: int,
        method: str,
        target: str,
        headers: Sequence[tuple[bytes, bytes]] | bytes,
        body: bytes | AsyncIterable[bytes] | None,
        *,
        connect_timeout: float,
        timeout: float,
        stream: bool,
        body_length: int | None = None,
        tls: bool = False,
    ) -> RawResponse:
        """Send one request; see the module docstring for the errors. ``headers``: pairs, or
        the header lines already joined (``b"name: value\\r\\n"``, without Host and framing).

        ``timeout`` bounds the wait for the response head (and, when buffered, the whole body;
        when streamed, each gap between body chunks). ``body_length`` is the declared length
        of a streamed body (chunked encoding is used when it is None). ``tls``: HTTPS, the
        certificate verified for ``host`` with ``ssl_context``.
        """
        key = (host, port, tls)
        conn = self._acquire_idle(key)
        # Not isinstance(body, AsyncIterable): an ABC check per request costs more than this.
        replayable = body is None or isinstance(body, bytes | bytearray)
        if conn is not None:
            try:
                return await self._exchange(conn, method, target, headers, body, timeout, stream, body_length)
            except NoResponse:
                if not replayable:
                    raise
                # A kept-alive connection the server had closed: one fresh try.
        conn = await self._connect(key, connect_timeout)
        return await self._exchange(conn, method, target, headers, body, timeout, stream, body_length)

    async def _exchange(
        self,
        conn: _Conn,
        method: str,
        target: str,
        headers: Sequence[tuple[bytes, bytes]] | bytes,
        body: bytes | AsyncIterable[bytes] | None,
        timeout: float,
        stream: bool,
        body_length: int | None,
    ) -> RawResponse:
        transport = conn.transport
        assert transport is not None
        conn.head_only = method == "HEAD"
        conn.streaming = stream
        conn.active = True
        parts = [method.encode(), b" ", target.encode("latin-1"), b" HTTP/1.1\r\nHost: ", conn.host_header]
        if isinstance(headers, bytes):
            parts.append(headers)  # already "name: value\r\n" lines (ServiceClient.forward)
        else:
            for name, value in headers:
                parts += (name, b": ", value, b"\r\n")
        chunked = False
        if body is None:
            if method not in _BODYLESS_METHODS:
                parts.append(b"Content-Length: 0\r\n")
        elif isinstance(body, bytes | bytearray):
            parts += (b"Content-Length: ", str(len(body)).encode(), b"\r\n")
        elif body_length is not None:
            parts += (b"Content-Length: ", str(body_length).encode(), b"\r\n")
        else:
            parts.append(b"Transfer-Encoding: chunked\r\n")
            chunked = True
        parts.append(b"\r\n")
        head = b"".join(parts)
        deadline = conn.loop.time() + timeout
        try:
            if body is None:
                transport.write(head)
            elif isinstance(body, bytes | bytearray):
                transport.write(head + body if len(body) < 65536 else head)
                if len(body) >= 65536:
                    transport.write(body)
            else:
                transport.write(head)
                await self._write_stream(conn, body, chunked)
            while not conn.head_done:
                if conn.error is not None:
                    raise conn.error
                await conn.wait(deadline, "response head")
            if conn.error is not None and not conn.head_done:
                raise conn.error
            if not stream or (conn.complete and conn.error is None) or conn.small_body():
                # Buffered, or a streamed response that arrived whole with its head, or a small
                # declared body: hand it over in one piece, no iterator machinery. Waiting for a
                # small body here keeps it inside this attempt's deadline, so an upstream that
                # hangs between head and body is a timeout the client can retry elsewhere,
                # not a response cut off after its head went out.
                while not conn.complete:
                    if conn.error is not None:
                        raise conn.error
                    await conn.wait(deadline, "complete response body")
                if conn.error is not None:
                    raise conn.error
                chunks = conn.take_chunks()
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                response = RawResponse(conn.status, conn.headers, data, None, self, None)
                self._release(conn)
                return response
            return RawResponse(conn.status, conn.headers, None, conn, self, timeout)
        except BaseException:
            conn.close()
            raise

    async def _write_stream(self, conn: _Conn, body: AsyncIterable[bytes], chunked: bool) -> None:
        transport = conn.transport
        assert transport is not None
        async for chunk in body:
            if conn.closed:
                break  # the upstream gave up (e.g. answered early); its response tells why
            if not chunk:
                continue
            if chunked:
                transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            else:
                transport.write(chunk)
            await conn.drain()
        if chunked and not conn.closed:
            transport.write(b"0\r\n\r\n")
