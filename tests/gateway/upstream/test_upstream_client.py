"""ServiceClient and its HTTP/1.1 client against small in-process servers (real sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from gateway.balancing import Balancer
from gateway.discovery import Instance, RoutingTable
from gateway.upstream import (
    Ejector,
    NoHealthyInstance,
    ServiceClient,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.support.processes import free_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(routes: dict[str, Handler]) -> tuple[web.AppRunner, int]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def raw_server(on_request: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]):
    server = await asyncio.start_server(on_request, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def inst(port: int, n: int = 0, service: str = "svc") -> Instance:
    return Instance(service=service, id=f"{service}-{n}-{port}", address="127.0.0.1", port=port)


def client_for(*instances: Instance, **kw: object) -> ServiceClient:
    table = RoutingTable.build({"svc": tuple(instances)}, 1)
    opts: dict[str, object] = {"timeout": 2.0, "connect_timeout": 0.5, "attempts": 3, "deadline": 3.0}
    opts.update(kw)
    ejector = opts.pop("ejector", None) or Ejector(failures=2, seconds=30, max_share=0.5)
    return ServiceClient(lambda: table, Balancer("round_robin"), ejector, **opts)  # type: ignore[arg-type]


async def whoami(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "port": request.transport.get_extra_info("sockname")[1],
            "len": len(body),
            "method": request.method,
            "qs": request.query_string,
            "h": request.headers.get("X-Test", ""),
        }
    )


async def test_buffered_request_response_and_status_passthrough() -> None:
    async def boom(_r: web.Request) -> web.Response:
        return web.json_response({"err": 1}, status=500)

    runner, port = await serve({"/who": whoami, "/boom": boom})
    client = client_for(inst(port))
    try:
        r = await client.request(
            "svc", "POST", "/who", query={"a": "1"}, headers={"X-Test": "yes"}, body=b"abc"
        )
        assert r.status == 200 and r.attempts == 1 and r.instance.port == port
        assert r.json() == {"port": port, "len": 3, "method": "POST", "qs": "a=1", "h": "yes"}
        assert r.headers["content-type"].startswith("application/json")
        r = await client.request("svc", "GET", "/boom")
        assert r.status == 500 and r.json() == {"err": 1}  # returned, not raised
        assert client.balancer.inflight.snapshot() == {}
    finally:
        await client.close()
        await runner.cleanup()


async def test_connect_failure_retried_on_another_instance_then_ejected() -> None:
    runner, port = await serve({"/who": whoami})
    dead = inst(free_port(), 1)
    client = client_for(dead, inst(port, 2))
    try:
        for _ in range(6):
            r = await client.request("svc", "POST", "/who", body=b"x")
            assert r.status == 200 and r.instance.port == port
        assert client.ejector.is_ejected(dead.id)
        r = await client.request("svc", "GET", "/who")
        assert r.attempts == 1  # the ejected instance is skipped now
    finally:
        await client.close()
        await runner.cleanup()


async def test_all_dead_is_unavailable_after_bounded_attempts() -> None:
    client = client_for(*(inst(free_port(), i) for i in range(5)), attempts=3)
    with pytest.raises(UpstreamUnavailable) as info:
        await client.request("svc", "GET", "/x")
    assert info.value.attempts == 3 and info.value.status_code == 502 and info.value.service == "svc"
    await client.close()


async def test_no_instance_and_filter() -> None:
    client = client_for(inst(1))
    with pytest.raises(NoHealthyInstance) as info:
        await client.request("other", "GET", "/")
    assert info.value.status_code == 503 and "other" in info.value.detail
    with pytest.raises(NoHealthyInstance):
        await client.request("svc", "GET", "/", instance_filter=lambda i: False)
    await client.close()


async def test_timeout_of_a_post_is_504_and_not_retried() -> None:
    async def slow(_r: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.Response(text="late")

    runner, port = await serve({"/slow": slow})
    runner2, port2 = await serve({"/slow": slow})
    client = client_for(inst(port, 1), inst(port2, 2))
    try:
        with pytest.raises(UpstreamTimeout) as info:
            await client.request("svc", "POST", "/slow", body=b"x", timeout=0.2)
        assert info.value.status_code == 504 and info.value.attempts == 1
    finally:
        await client.close()
        await runner.cleanup()
        await runner2.cleanup()


async def test_per_try_timeout_of_idempotent_request_retried_elsewhere() -> None:
    """GET (and requests declared idempotent) time out per try and go to another instance;
    the total timeout still bounds all tries together."""
    hung = asyncio.Event()

    async def slow(_r: web.Request) -> web.Response:
        await hung.wait()
        return web.Response(text="late")

    runner, slow_port = await serve({"/x": slow})
    runner2, fast_port = await serve({"/x": whoami})
    client = client_for(inst(slow_port, 1), inst(fast_port, 2), try_timeout=0.2, timeout=5.0)
    try:
        for method, idempotent in (("GET", None), ("POST", True)):
            for _ in range(2):  # round robin: one of the two starts on the hung instance
                started = asyncio.get_running_loop().time()
                resp = await client.request("svc", method, "/x", body=b"{}", idempotent=idempotent)
                assert resp.status == 200 and resp.json()["port"] == fast_port
                assert asyncio.get_running_loop().time() - started < 1.0
        both_slow = client_for(inst(slow_port, 1), inst(slow_port, 3), try_timeout=0.2, timeout=0.3)
        started = asyncio.get_running_loop().time()
        with pytest.raises(UpstreamTimeout):
            await both_slow.request("svc", "GET", "/x")
        assert asyncio.get_running_loop().time() - started < 0.6
        await both_slow.close()
    finally:
        hung.set()
        await client.close()
        await runner.cleanup()
        await runner2.cleanup()


async def test_closed_without_answer_retried_unless_disabled_for_post() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()  # a replica dying mid-request: no response byte

    server, bad_port = await raw_server(hang_up)
    runner, port = await serve({"/who": whoami})
    bad = inst(bad_port, 1)
    try:
        client = client_for(bad, inst(port, 2))
        for _ in range(2):
            r = await client.request("svc", "POST", "/who", body=b"{}")
            assert r.status == 200 and r.instance.port == port
        await client.close()
        strict = client_for(bad, inst(port, 2), retry_unanswered=False)
        outcomes = []
        for _ in range(2):  # round robin: one of the two goes to the bad instance
            try:
                outcomes.append((await strict.request("svc", "POST", "/who", body=b"{}")).status)
            except UpstreamUnavailable as exc:
                outcomes.append(exc.status_code)
        assert sorted(outcomes) == [200, 502]
        # idempotent methods are retried even in strict mode
        for _ in range(2):
            assert (await strict.request("svc", "GET", "/who")).status == 200
        await strict.close()
    finally:
        server.close()
        await runner.cleanup()


async def test_stale_keepalive_connection_is_replaced_transparently() -> None:
    served = 0

    async def once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Answers one request with keep-alive, then closes the idle connection (like a server's
        # keep-alive timeout firing).
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    server, port = await raw_server(once_then_close)
    client = client_for(inst(port))
    try:
        assert (await client.request("svc", "POST", "/", body=b"1")).body == b"ok"
        await asyncio.sleep(0.2)  # the server closed the pooled connection meanwhile
        assert (await client.request("svc", "POST", "/", body=b"2")).body == b"ok"
        assert served == 2
    finally:
        await client.close()
        server.close()


async def test_streamed_bodies_both_ways_and_inflight_accounting() -> None:
    async def upload_then_stream(request: web.Request) -> web.StreamResponse:
        total = 0
        async for chunk in request.content.iter_any():
            total += len(chunk)
        resp = web.StreamResponse()
        await resp.prepare(request)
        for i in range(5):
            await resp.write(f"{total}:{i};".encode())
            await asyncio.sleep(0.01)
        await resp.write_eof()
        return resp

    async def body() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 100_000

    runner, port = await serve({"/up": upload_then_stream})
    client = client_for(inst(port))
    try:
        r = await client.request("svc", "POST", "/up", body=body(), stream=True)
        assert r.status == 200
        chunks = [c async for c in r]
        assert b"".join(chunks) == b"".join(f"1000000:{i};".encode() for i in range(5))
        assert client.balancer.inflight.snapshot() == {}
        # abandoning a stream releases the instance too
        r = await client.request("svc", "POST", "/up", body=b"abc", stream=True)
        assert client.balancer.inflight.get(r.instance.id) in (0, 1)
        await r.aclose()
        assert client.balancer.inflight.snapshot() == {}
    finally:
        await client.close()
        await runner.cleanup()


async def test_request_direct_and_header_injection_refused() -> None:
    runner, port = await serve({"/who": whoami})
    client = client_for()
    try:
        r = await client.request_direct("127.0.0.1", port, "GET", "/who", label="opea-node")
        assert r.status == 200 and r.instance.service == "opea-node"
        with pytest.raises(UpstreamUnavailable) as info:
            await client.request_direct("127.0.0.1", free_port(), "GET", "/who", attempts=2)
        assert info.value.attempts == 2
        with pytest.raises(ValueError, match="line break"):
            await client.request_direct("127.0.0.1", port, "GET", "/who", headers={"X-A": "1\r\nX-B: 2"})
    finally:
        await client.close()
        await runner.cleanup()


async def test_unsolicited_bytes_on_idle_connection_are_not_taken_as_an_answer() -> None:
    count = 0

    async def answer_then_408(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        await reader.readuntil(b"\r\n\r\n")
        count += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")  # unsolicited
        await writer.drain()
        await asyncio.sleep(1.0)  # keep the connection open
        writer.close()

    server, port = await raw_server(answer_then_408)
    client = client_for(inst(port))
    try:
        assert (await client.request("svc", "GET", "/")).body == b"first"
        await asyncio.sleep(0.15)
        r = await client.request("svc", "GET", "/")
        assert (r.status, r.body) == (200, b"first")  # a fresh connection's real answer
        assert count == 2
    finally:
        await client.close()
        server.close()


async def test_consecutive_per_try_timeouts_eject_the_hung_instance() -> None:
    hung = asyncio.Event()

    async def slow(_r: web.Request) -> web.Response:
        await hung.wait()
        return web.Response(text="late")

    runner, slow_port = await serve({"/x": slow})
    runner2, fast_port = await serve({"/x": whoami})
    ejector = Ejector(failures=2, seconds=30, max_share=0.5)
    client = client_for(inst(slow_port, 1), inst(fast_port, 2), try_timeout=0.2, timeout=5.0, ejector=ejector)
    loop = asyncio.get_running_loop()
    try:
        for _ in range(4):  # round robin: two of these start on the hung instance and time out
            await client.request("svc", "GET", "/x")
        assert ejector.ejected_ids((inst(slow_port, 1), inst(fast_port, 2)))
        started = loop.time()
        for _ in range(6):
            resp = await client.request("svc", "GET", "/x")
            assert resp.attempts == 1 and resp.json()["port"] == fast_port
        assert loop.time() - started < 0.2 * 2, "an ejected instance costs no per-try timeout"
    finally:
        hung.set()
        await client.close()
        await runner.cleanup()
        await runner2.cleanup()
