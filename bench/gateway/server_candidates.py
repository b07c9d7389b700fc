"""The HTTP servers compared by ``bench/gateway/servers.py``, each runnable as a process.

``python server_candidates.py <kind> <port>`` serves on 127.0.0.1:<port>:

- ``uvicorn-floor``: uvicorn on uvloop with today's gateway protocol
  (``gateway.server.protocol_with_limits``: httptools, coalesced writes, head limits), serving a
  minimal ASGI app that reads the body and answers a fixed JSON document;
- ``own-floor``: an asyncio protocol on httptools written for this (no ASGI at all): parses
  the request and writes the fixed answer from the parser callback; the lower bound of what an
  own protocol for ``/svc`` could cost before any proxy work;
- ``own-proxy-floor``: the same protocol proxying to the backends given after the port (pooled
  keep-alive upstream connections, round robin, one task per request) with no feature at all:
  no request id, log, metrics, statistics, retries, ejection, limits or header rules. The
  lower bound of a Python proxy on asyncio + httptools on the machine at hand;
- ``gateway-granian``: the full gateway application (the same ASGI app ``python -m gateway``
  serves) under granian instead of uvicorn (``granian`` is not a project dependency: the
  benchmark runs this with ``uv run --with granian``).

The granian floor apps (``asgi_floor``, ``rsgi_floor``) are in this module too, for granian's
``module:attribute`` loading.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

BODY = b'{"ok":true}'
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(BODY)


async def asgi_floor(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Minimal ASGI app: drain the body, answer the fixed document."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


class RSGIFloor:
    """Minimal RSGI app (granian's own interface)."""

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        await protocol()
        protocol.response_bytes(200, [("content-type", "application/json")], BODY)


rsgi_floor = RSGIFloor()


class OwnFloorProtocol(asyncio.Protocol):
    """httptools parser, keep-alive, the fixed answer written from on_message_complete."""

    def __init__(self) -> None:
        import httptools

        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception:
            if self.transport is not None:
                self.transport.close()

    def on_message_complete(self) -> None:
        if self.transport is not None:
            self.transport.write(HEAD + BODY)


class _UpstreamConnection(asyncio.Protocol):
    """One keep-alive connection to a backend; one request at a time."""

    def __init__(self) -> None:
        import httptools

        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_begin(self) -> None:
        self.headers, self.body = [], []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class OwnProxyFloorProtocol(asyncio.Protocol):
    """Parse, forward to the next backend over a pooled connection, relay the answer."""

    backends: list[tuple[str, int]] = []
    pool: list[_UpstreamConnection] = []
    turn = 0

    def __init__(self) -> None:
        import httptools

        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.headers: list[bytes] = []
        self.body: list[bytes] = []
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_begin(self) -> None:
        self.headers, self.body, self.url = [], [], b""

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() not in (b"host", b"content-length", b"connection"):
            self.headers += (name, b": ", value, b"\r\n")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body = b"".join(self.body)
        method = self.parser.get_method()
        head = b"%s %s HTTP/1.1\r\nHost: backend\r\n%scontent-length: %d\r\n\r\n" % (
            method,
            self.url,
            b"".join(self.headers),
            len(body),
        )
        asyncio.get_running_loop().create_task(self.forward(head + body))

    async def forward(self, request: bytes) -> None:
        cls = OwnProxyFloorProtocol
        upstream = cls.pool.pop() if cls.pool else None
        if upstream is None:
            cls.turn = (cls.turn + 1) % len(cls.backends)
            _, upstream = await asyncio.get_running_loop().create_connection(
                _UpstreamConnection, *cls.backends[cls.turn]
            )
        upstream.waiter = asyncio.get_running_loop().create_future()
        assert upstream.transport is not None
        upstream.transport.write(request)
        await upstream.waiter
        cls.pool.append(upstream)
        out = [b"HTTP/1.1 %d OK\r\n" % upstream.parser.get_status_code()]
        for name, value in upstream.headers:
            if name.lower() not in (b"connection", b"content-length", b"transfer-encoding"):
                out += (name, b": ", value, b"\r\n")
        body = b"".join(upstream.body)
        out.append(b"content-length: %d\r\n\r\n" % len(body))
        if self.transport is not None:
            self.transport.write(b"".join(out) + body)


def gateway_app() -> Any:
    """The app ``python -m gateway`` serves (fast path + hop limit), for granian's factory mode."""
    from gateway.app import create_app
    from gateway.fast_path import GatewayASGI
    from gateway.limits import HopLimit
    from gateway.settings import GatewaySettings
    from servicekit.logconfig import configure_logging

    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    return HopLimit(GatewayASGI(create_app(settings)), settings.gateway_max_hops)


def main(kind: str, port: int) -> None:
    if kind == "uvicorn-floor":
        import uvicorn

        from gateway.limits import HeadLimits
        from gateway.server import protocol_with_limits

        uvicorn.run(
            asgi_floor,
            host="127.0.0.1",
            port=port,
            loop="uvloop",
            http=protocol_with_limits(HeadLimits()),  # type: ignore[arg-type]
            access_log=False,
            log_level="warning",
            server_header=False,
        )
    elif kind in ("own-floor", "own-proxy-floor"):
        import uvloop

        protocol: Any = OwnFloorProtocol if kind == "own-floor" else OwnProxyFloorProtocol
        OwnProxyFloorProtocol.backends = [("127.0.0.1", int(p)) for p in sys.argv[3:]]

        async def serve() -> None:
            server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", port)
            async with server:
                await server.serve_forever()

        uvloop.run(serve())
    elif "granian" in kind:
        interface, target = {
            "granian-asgi-floor": ("asgi", "server_candidates:asgi_floor"),
            "granian-rsgi-floor": ("rsgi", "server_candidates:rsgi_floor"),
            "gateway-granian": ("asgi", "server_candidates:gateway_app"),
        }[kind]
        factory = ["--factory"] if kind == "gateway-granian" else []
        here = os.path.dirname(os.path.abspath(__file__))  # granian imports server_candidates
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        os.execvp(
            sys.executable,
            [
                sys.executable, "-m", "granian", "--interface", interface, "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--runtime-threads", "1", "--loop", "uvloop",
                "--no-ws", "--log-level", "warning", *factory, target,
            ],
        )  # fmt: skip
    else:
        raise SystemExit(f"unknown server kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
