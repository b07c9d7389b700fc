"""upstream.http1: a streamed response declaring a small body is read whole within the
attempt's deadline, so an upstream that hangs between its head and its body is a timeout
(retryable elsewhere for idempotent requests) and never a response cut off after its head
was forwarded; large and unframed bodies still stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.upstream.http1 import Http1Client, ResponseTimeout


@pytest.fixture
async def stalling_server() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            size = 100 if b"/small" in head else 1 << 20
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            await writer.drain()
            await asyncio.sleep(5)  # the head went out; the body never comes
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def _get(port: int, path: str) -> object:
    client = Http1Client()
    try:
        return await client.request(
            "127.0.0.1", port, "GET", path, [], None, connect_timeout=1.0, timeout=0.3, stream=True
        )
    finally:
        await client.close()


async def test_a_small_body_that_never_comes_is_a_timeout_of_the_attempt(stalling_server: int) -> None:
    with pytest.raises(ResponseTimeout):
        await _get(stalling_server, "/small")


async def test_a_large_body_still_streams_after_its_head(stalling_server: int) -> None:
    raw = await _get(stalling_server, "/large")
    assert raw.status == 200 and raw.body is None  # type: ignore[attr-defined]
    raw.release()  # type: ignore[attr-defined]
