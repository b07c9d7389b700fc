"""upstream.http1: one timer serves every response deadline; each wait still expires at its own.

A real TCP server on 127.0.0.1 that reads requests and never answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from gateway.upstream.http1 import Http1Client, ResponseTimeout


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.read(65536):
                pass  # read the request, never answer
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


async def _timed_request(client: Http1Client, port: int, timeout: float) -> float:
    start = time.monotonic()
    with pytest.raises(ResponseTimeout):
        await client.request(
            "127.0.0.1",
            port,
            "GET",
            "/",
            [(b"host", b"x")],
            None,
            connect_timeout=1.0,
            timeout=timeout,
            stream=False,
        )
    return time.monotonic() - start


async def test_a_shorter_deadline_after_a_longer_one_fires_on_time(silent_server: int) -> None:
    client = Http1Client()
    try:
        long_wait = asyncio.create_task(_timed_request(client, silent_server, 2.0))
        await asyncio.sleep(0.05)  # the long wait has armed the shared timer first
        short = await _timed_request(client, silent_server, 0.3)
        assert 0.25 <= short < 1.0, short
        assert not long_wait.done(), "the long wait must not expire with the short one"
        long = await long_wait
        assert 1.95 <= long < 3.0, long
    finally:
        await client.close()


async def test_many_waits_each_expire_at_their_own_deadline(silent_server: int) -> None:
    client = Http1Client()
    try:
        timeouts = [0.6, 0.2, 0.4, 0.2, 0.8]
        elapsed = await asyncio.gather(*(_timed_request(client, silent_server, t) for t in timeouts))
        for timeout, took in zip(timeouts, elapsed, strict=True):
            assert timeout - 0.05 <= took < timeout + 0.5, (timeout, took)
    finally:
        await client.close()
