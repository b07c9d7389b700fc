"""Responses: JSON (pretty like dev mode), plain-text errors, raw bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from ..jsonout import dumps

__all__ = ["Response", "json_response", "text_response"]

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Response:
    __slots__ = ("status", "body", "headers", "stream")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        stream: AsyncIterator[bytes] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}
        self.stream = stream  # a streamed body (agent/monitor): sent chunk by chunk until disconnect

    async def send(self, send: Send, head_only: bool = False) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head_only else self.body})


def json_response(obj: Any, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return raw_json(dumps(obj), headers, status)


def raw_json(body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    out = {"Content-Type": "application/json"}
    if headers:
        out.update(headers)
    return Response(status, body, out)


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": "text/plain; charset=utf-8"}
    if headers:
        out.update(headers)
    return Response(status, text.encode(), out)
