"""Bounded request bodies on the buffered routes (flows, predictions, management).

Everything but ``/svc/...`` (which streams, see ``proxy``) reads its body whole, so a client
could grow memory with one request (100 MB to ``/process`` took RSS to 829 MB). This ASGI
middleware refuses a declared ``Content-Length`` above ``max_bytes`` at once and a chunked
body as soon as it passes it (413), refuses JSON nested deeper than ``max_depth`` (400, with the
reason) before any route parses it, then replays the body. NaN/Infinity are left to the
routes, which answer 422 naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import json_depth

__all__ = ["BodyLimitMiddleware"]

_SKIP_PREFIX = "/svc/"


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP_PREFIX):
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        is_json = False
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit():
                declared = int(value)
            elif name == b"content-type":
                is_json = b"json" in value.lower()
        if declared is not None and declared > self.max_bytes:
            await _answer(send, 413, f"request body larger than {self.max_bytes} bytes")
            return
        if declared == 0 or (declared is None and scope["method"] in ("GET", "HEAD", "OPTIONS")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _answer(send, 413, f"request body larger than {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and (is_json or body[:1] in (b"{", b"[")):
            if json_depth(body, self.max_depth) > self.max_depth:
                await _answer(send, 400, f"JSON nested deeper than {self.max_depth} levels")
                return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()  # after the body: wait for the disconnect as usual

    return replay
