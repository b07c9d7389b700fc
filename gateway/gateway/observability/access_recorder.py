"""Request ids, access logs, per-route metrics and statistics.

The request id is the client's ``X-Request-ID`` when it sent a sane one, else a new one; it
is returned in the response, put in the log line, and forwarded upstream (the proxy and the
routes read ``scope["gateway.request_id"]``).

``AccessRecorder`` does the bookkeeping; ``AccessMiddleware`` applies it to the FastAPI app
(wrapping ``send`` to learn the status); the proxy fast path calls the recorder directly.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import GatewaySettings
from .access_filter import AccessFilter
from .access_log_sink import FIELDS, installed_handler
from .stats import milliseconds
from .tracing import begin_request, end_request

__all__ = [
    "POLL_HEADER",
    "PROBE_PATHS",
    "AccessMiddleware",
    "AccessRecorder",
    "incoming_request_id",
    "new_request_id",
    "request_id_of",
]

log = logging.getLogger("gateway.access")

#: Health probes (Consul's checks, orchestrators): logged at debug level.
PROBE_PATHS = frozenset({"/health", "/ready", "/v1/health_check", "/v1/health"})
#: The dashboard's refreshes (every few seconds per open page) mark themselves with this
#: header: logged at debug level too. Looked for on the gateway's own GET routes only.
POLL_HEADER = b"x-gateway-poll"


def _is_poll(scope: Scope, route: str) -> bool:
    if scope["method"] != "GET" or route.startswith(("/svc/", "{")):
        return False
    return any(name == POLL_HEADER for name, _ in scope["headers"])


_MAX_ID = 128
# Label values and statistics keys come only from bounded sets: a client must not be able to
# mint a new time series per request (206k unknown service names once took RSS 79 → 286 MB).
UNKNOWN = "unknown"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
# A random per-process prefix and a counter: unique, and far cheaper than uuid4 per request.
_PREFIX = os.urandom(6).hex()
_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_PREFIX}{next(_COUNTER):010x}"


def request_id_of(scope: Scope) -> str:
    rid: str = scope.get("gateway.request_id", "")
    return rid


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-request-id":
            if 0 < len(value) <= _MAX_ID and value.isascii():
                text = value.decode()
                if text.isprintable():
                    return text
            return None
    return None


class AccessRecorder:
    """Metrics, statistics and the access-log line for one finished request."""

    def __init__(self, settings: GatewaySettings, app_ref: Any = None) -> None:
        self.access_log = settings.access_log
        self.keep = AccessFilter.from_settings(
            settings.access_log_status, settings.access_log_min_duration, settings.access_log_retried
        )
        self.app_ref = app_ref
        self._children: dict[tuple[str, str, int], Any] = {}
        self._route_children: dict[tuple[str, str], tuple[Any, str]] = {}

    def start(self, scope: Scope) -> str:
        headers = scope["headers"]
        rid = incoming_request_id(headers) or new_request_id()
        scope["gateway.request_id"] = rid
        # W3C trace context: current for everything sent on this request's behalf.
        scope["gateway.trace"] = begin_request(headers, scope["method"], scope["path"])
        return rid

    def record(self, scope: Scope, status: int, seconds: float, core: Any = None) -> None:
        """Count and log one finished request. ``core``: the app's core if the caller has it
        at hand (saves looking it up again)."""
        path: str = scope["path"]
        service: str = scope.get("gateway.service", "")
        trace = scope.get("gateway.trace")
        if trace is not None and trace.span is not None:
            end_request(trace, status)
        if path.startswith("/svc/"):
            route = "/svc/{service}/{path}"
        else:
            # Declared routes set one constant label ("{urlprefix}"): bounded like FastAPI's.
            route = scope.get("gateway.route") or getattr(scope.get("route"), "path", None) or "unmatched"
        if core is None:
            holder = self.app_ref if self.app_ref is not None else scope["app"]
            core = getattr(holder.state, "core", None)
        if core is not None:
            label = service
            if label and label not in core.discovery.table.services:
                label = UNKNOWN  # only names in the routing table become label values
            # labels() validates and locks on every call; the children are cached per label set.
            key = (route, label, status)
            counter = self._children.get(key)
            if counter is None:
                counter = self._children[key] = core.metrics.requests.labels(route, label, str(status))
            counter.inc()
            method: str = scope["method"]
            if method not in _METHODS:
                method = "OTHER"
            per_route = self._route_children.get((method, route))
            if per_route is None:
                per_route = self._route_children[(method, route)] = (
                    core.metrics.request_seconds.labels(route),
                    f"{method} {route}",
                )
            per_route[0].observe(seconds)
            core.stats.observe("route", per_route[1], seconds, status >= 500)
        # Consul probes /health every few seconds: those lines are debug, so the log shows traffic.
        level = logging.DEBUG if path in PROBE_PATHS or _is_poll(scope, route) else logging.INFO
        if self.access_log and log.isEnabledFor(level):
            keep = self.keep
            if keep is not None and not keep.keeps(status, seconds, scope.get("gateway.attempts")):
                return  # ACCESS_LOG_STATUS / _MIN_DURATION / _RETRIED: not a line worth its cost
            client = scope.get("client")
            method = scope["method"]
            query = scope.get("query_string", b"").decode("latin-1") or None
            request_id = scope.get("gateway.request_id", "")
            duration_ms = milliseconds(seconds)
            instance = scope.get("gateway.instance")
            attempts = scope.get("gateway.attempts")
            peer = client[0] if client else None
            values = (
                *(request_id, method, path, query, status, duration_ms, route),
                *(service or None, instance, attempts, peer),
            )
            sink = installed_handler()
            if sink is not None and sink.serves(log, level):
                sink.write_access(level, log.name, f"{method} {path} {status}", values)
            else:
                log.log(level, "%s %s %d", method, path, status, extra=dict(zip(FIELDS, values, strict=True)))


class AccessMiddleware:
    """Applies ``AccessRecorder`` to every HTTP request of the wrapped app (once)."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings, app_ref: Any = None) -> None:
        self.app = app
        self.recorder = AccessRecorder(settings, app_ref)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gateway.request_id" in scope:
            await self.app(scope, receive, send)  # not HTTP, or already handled further out
            return
        started = time.perf_counter()
        rid = self.recorder.start(scope)
        # The proxy adds X-Request-ID to its responses itself.
        rid_header = None if scope["path"].startswith("/svc/") else (b"x-request-id", rid.encode())
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if rid_header is not None:
                    message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.recorder.record(scope, status, time.perf_counter() - started)
