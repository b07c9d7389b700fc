"""upstream.http1: bytes after a complete response close the connection; nothing of them is
merged into the response (issue #10, item 5: a second response glued to the first used to
give the client its status, a second content-length and its Set-Cookie)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.upstream.http1 import Http1Client

FIRST = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-First: 1\r\n\r\nok"
SECOND = b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nSet-Cookie: stolen=1\r\n\r\nbad"
GARBAGE = b"\x00\x01 not http at all\r\n\r\n"


@pytest.fixture
async def glued_server() -> AsyncIterator[tuple[int, list[int]]]:
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                tail = SECOND if b"/glued" in head else GARBAGE if b"/garbage" in head else b""
                if b"/late" in head:
                    writer.write(FIRST)
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    writer.write(SECOND)
                else:
                    writer.write(FIRST + tail)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], connections
    finally:
        server.close()
        await server.wait_closed()


async def _get(client: Http1Client, port: int, path: str, stream: bool = False) -> tuple[int, list, bytes]:
    raw = await client.request(
        "127.0.0.1", port, "GET", path, [], None, connect_timeout=1.0, timeout=2.0, stream=stream
    )
    body = raw.body if raw.body is not None else b"".join([c async for c in raw])
    return raw.status, raw.headers, body


@pytest.mark.parametrize("path", ["/glued", "/garbage", "/late"])
@pytest.mark.parametrize("stream", [False, True])
async def test_extra_bytes_are_not_merged_and_close_the_connection(
    glued_server: tuple[int, list[int]], path: str, stream: bool
) -> None:
    port, connections = glued_server
    client = Http1Client()
    try:
        status, headers, body = await _get(client, port, path, stream)
        assert (status, body) == (200, b"ok")
        names = [name.lower() for name, _ in headers]
        assert names.count(b"content-length") == 1 and b"set-cookie" not in names
        await asyncio.sleep(0.1)
        status, _, body = await _get(client, port, "/clean", stream)
        assert (status, body) == (200, b"ok")
        assert len(connections) == 2, "the connection that carried extra bytes must not be reused"
    finally:
        await client.close()


async def test_clean_responses_keep_the_connection(glued_server: tuple[int, list[int]]) -> None:
    port, connections = glued_server
    client = Http1Client()
    try:
        for _ in range(3):
            assert (await _get(client, port, "/clean"))[0] == 200
        assert len(connections) == 1
    finally:
        await client.close()
