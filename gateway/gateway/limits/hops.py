"""A hop counter against request loops (a flow or a service calling back into the gateway).

Every request the gateway sends upstream carries ``X-Gateway-Hops: n+1``, where ``n`` is the
count the request it serves arrived with (0 without the header); a request arriving with
``n >= max_hops`` is answered 508 Loop Detected at once. One anonymous request once turned
into 2,659 nested ones through a flow calling the gateway itself. The count travels from the
incoming request to the upstream client in a context variable (asyncio tasks copy it), so no
route or flow has to pass it along.
"""

from __future__ import annotations

import json
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HOP_HEADER", "HopLimit", "enter_request", "hop_count", "outgoing_hops", "send_loop_detected"]

HOP_HEADER = b"x-gateway-hops"
_outgoing: ContextVar[bytes | None] = ContextVar("gateway_outgoing_hops", default=None)


def outgoing_hops() -> bytes | None:
    """The ``X-Gateway-Hops`` value for requests sent while serving the current one (None
    outside a request: background calls start no chain)."""
    return _outgoing.get()


def hop_count(headers: list[tuple[bytes, bytes]], max_hops: int) -> int:
    """The count the request arrived with (0 without the header; garbage counts as
    ``max_hops``: only the gateway writes this header)."""
    for name, value in headers:
        if name == HOP_HEADER:
            return int(value) if value.isdigit() and len(value) <= 4 else max_hops
    return 0


def enter_request(headers: list[tuple[bytes, bytes]], max_hops: int) -> bytes | None:
    """Start serving a request: None when it may go on (its outgoing count is now current),
    else the 508 response body to send."""
    hops = hop_count(headers, max_hops)
    if hops >= max_hops:
        detail = f"loop detected: the request passed the gateway {hops} times (max {max_hops})"
        return json.dumps({"detail": detail}).encode()
    _outgoing.set(str(hops + 1).encode())
    return None


class HopLimit:
    def __init__(self, app: ASGIApp, max_hops: int) -> None:
        self.app = app
        self.max_hops = max_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = enter_request(scope["headers"], self.max_hops)
            if refused is not None:
                await send_loop_detected(send, refused)
                return
        await self.app(scope, receive, send)


async def send_loop_detected(send: Send, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 508, "headers": headers})
    await send({"type": "http.response.body", "body": body})
