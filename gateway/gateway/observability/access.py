"""Request ids, access logs, per-route metrics and statistics, as one raw ASGI middleware.

The request id is the client's ``X-Request-ID`` when it sent a sane one, else a new one;
it is returned in the response, put in the log line, and forwarded upstream (the proxy and
the service client read ``scope["gateway.request_id"]``).
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import GatewaySettings

__all__ = ["AccessMiddleware", "request_id_of"]

log = logging.getLogger("gateway.access")

_MAX_ID = 128


def request_id_of(scope: Scope) -> str:
    rid: str = scope.get("gateway.request_id", "")
    return rid


def _incoming_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-request-id":
            if 0 < len(value) <= _MAX_ID and value.isascii() and value.decode().isprintable():
                return value.decode()
            return None
    return None


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        self.access_log = settings.access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = _incoming_id(scope["headers"]) or uuid.uuid4().hex
        scope["gateway.request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._record(scope, status, time.perf_counter() - started, rid)

    def _record(self, scope: Scope, status: int, seconds: float, rid: str) -> None:
        path: str = scope["path"]
        service: str = scope.get("gateway.service", "")
        if path.startswith("/svc/"):
            route = "/svc/{service}/{path}"
        else:
            matched = scope.get("route")
            route = getattr(matched, "path", None) or "unmatched"
        core = getattr(scope["app"].state, "core", None)
        if core is not None:
            core.metrics.requests.labels(route, service, str(status)).inc()
            core.metrics.request_seconds.labels(route).observe(seconds)
            core.stats.observe("route", f"{scope['method']} {route}", seconds, status >= 500)
        if self.access_log:
            client = scope.get("client")
            log.info(
                "%s %s %d",
                scope["method"],
                path,
                status,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "route": route,
                    "service": service or None,
                    "instance": scope.get("gateway.instance"),
                    "attempts": scope.get("gateway.attempts"),
                    "client": client[0] if client else None,
                },
            )
