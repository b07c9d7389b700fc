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

__all__ = ["HOP_HEADER", "HopLimit", "hop_value", "outgoing_hops"]

HOP_HEADER = b"x-gateway-hops"
_outgoing: ContextVar[bytes | None] = ContextVar("gateway_outgoing_hops", default=None)


def outgoing_hops() -> bytes | None:
    """The ``X-Gateway-Hops`` value for requests sent while serving the current one (None
    outside a request: background calls start no chain)."""
    return _outgoing.get()


def hop_value(value: bytes, max_hops: int) -> int:
    """The count an ``X-Gateway-Hops`` value says. Garbage counts as "too many": only the
    gateway writes this header."""
    return int(value) if value.isdigit() and len(value) <= 4 else max_hops


class HopLimit:
    def __init__(self, app: ASGIApp, max_hops: int) -> None:
        self.app = app
        self.max_hops = max_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hops = 0
            for name, value in scope["headers"]:
                if name == HOP_HEADER:
                    hops = hop_value(value, self.max_hops)
                    break
            if hops >= self.max_hops:
                detail = f"loop detected: the request passed the gateway {hops} times (max {self.max_hops})"
                body = json.dumps({"detail": detail}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 508,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            _outgoing.set(str(hops + 1).encode())
        await self.app(scope, receive, send)
