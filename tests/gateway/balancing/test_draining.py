"""Draining instances get no new requests from the upstream client (real sockets)."""

from __future__ import annotations

from aiohttp import web

from gateway.balancing import Draining
from gateway.discovery import Instance
from tests.gateway.upstream.test_upstream_client import client_for, inst, serve


def test_filter_skips_draining_but_never_empties() -> None:
    a, b = Instance("s", "a", "127.0.0.1", 1), Instance("s", "b", "127.0.0.1", 2)
    d = Draining()
    assert d.filter((a, b)) == (a, b)
    d.add("a")
    assert d.filter((a, b)) == (b,)
    d.replace({"a", "b"})
    assert d.filter((a, b)) == (a, b)  # all draining: still served rather than refused
    d.discard("a")
    d.discard("zzz")
    assert d.ids == frozenset({"b"})


async def test_client_never_sends_new_requests_to_a_draining_instance() -> None:
    async def port_of(request: web.Request) -> web.Response:
        return web.json_response({"port": request.transport.get_extra_info("sockname")[1]})  # type: ignore[union-attr]

    runners = [await serve({"/x": port_of}) for _ in range(2)]
    try:
        (r1, p1), (r2, p2) = runners
        i1, i2 = inst(p1, 1), inst(p2, 2)
        client = client_for(i1, i2)
        client.balancer.draining.add(i1.id)
        ports = {(await client.request("svc", "GET", "/x")).json()["port"] for _ in range(10)}
        assert ports == {p2}
        client.balancer.draining.discard(i1.id)
        ports = {(await client.request("svc", "GET", "/x")).json()["port"] for _ in range(10)}
        assert ports == {p1, p2}
        await client.close()
    finally:
        for runner, _ in runners:
            await runner.cleanup()
