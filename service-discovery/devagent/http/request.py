"""A minimal request object over an ASGI scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from ..acl import ALLOW_ALL, Authorizer
from ..errors import ApiError

__all__ = ["Request"]

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class Request:
    def __init__(self, scope: MutableMapping[str, Any], receive: Receive) -> None:
        self.scope = scope
        self._receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.raw_query: str = scope.get("query_string", b"").decode("latin-1")
        self.query: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True):
            self.query.setdefault(key, []).append(value)
        self.headers: dict[str, str] = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        self.authz: Authorizer = ALLOW_ALL  # set by the app when ACLs are enabled
        self._body: bytes | None = None

    def token(self) -> str:
        """The ACL token as Consul's parseToken finds it: ?token=, X-Consul-Token, Authorization: Bearer."""
        if self.get("token"):
            return self.get("token")
        if self.headers.get("x-consul-token"):
            return self.headers["x-consul-token"]
        parts = self.headers.get("authorization", "").split(" ")
        if len(parts) == 2 and parts[0].lower() == "bearer":
            return parts[1].strip()
        return ""

    def has(self, name: str) -> bool:
        return name in self.query

    def get(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    async def body(self, limit: int | None = None, too_large: ApiError | None = None) -> bytes:
        """Read the whole body; with ``limit`` raise 413 (Consul's KV message) when it is exceeded.

        With ``too_large`` that error is raised as soon as the body passes ``limit`` (nothing more
        is buffered).  The body is kept, so the ACL check and the handler can both read it."""
        if self._body is not None:
            return self._body
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if too_large is not None and limit is not None and size > limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        self._body = data
        if limit is not None and len(data) > limit:
            raise ApiError(
                413,
                f"Request body({len(data)} bytes) too large, max size: {limit} bytes. See "
                "https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.",
            )
        return data
