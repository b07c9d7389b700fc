"""``/svc/{service}/{path}`` and service-declared routes: the proxy as a raw ASGI handler.

Declared routes (``urlprefix-`` tags) are looked up in ``core.routes`` for paths outside the
gateway's own routes. A service with traffic rules (``core.routes.rules``) gets its admission
limits (429/503 with ``Retry-After``), its version choice (``X-Version``, split, stickiness),
its per-try and total timeouts, attempts, retry methods and statuses (passed to the upstream
client, which owns the retry mechanism); a service without rules takes the plain path.

Any method; the query string and body pass through; hop-by-hop headers are removed and
X-Forwarded-For/Proto/Host and X-Request-ID added. Request bodies up to
``buffer_request_max`` bytes (with a Content-Length) are read first so a failed connect can
be retried on another instance; larger or chunked bodies are streamed to the upstream.
Responses that arrive whole with their head are sent in one piece, others streamed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core import GatewayCore
from ..discovery.instance import Instance
from ..routing import Rejection, Route, ServiceRules
from ..upstream import UpstreamError, UpstreamResponse
from .headers import forward_request_headers, forward_response_headers

__all__ = [
    "DECLARED_ROUTE",
    "PREFIX",
    "ProxyMiddleware",
    "declared_route",
    "proxy_declared",
    "proxy_request",
    "relay_streamed",
    "rule_options",
    "send_json",
]

log = logging.getLogger("gateway.proxy")

PREFIX = "/svc/"
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# The route label of every request served by a declared route (metrics stay bounded).
DECLARED_ROUTE = "{urlprefix}"
_PREFIX_LEN = len(PREFIX)


class _ClientGone(Exception):
    pass


async def send_json(
    send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
) -> int:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
    return status


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _BodyTooLarge(Exception):
    pass


async def _stream_body(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone()
        chunk = message.get("body", b"")
        if chunk:
            seen += len(chunk)
            if seen > limit:
                raise _BodyTooLarge()  # a chunked body past PROXY_BODY_MAX: the upstream call is aborted
            yield chunk
        if not message.get("more_body", False):
            return


_CLOSE = (b"connection", b"close")  # the rest of a refused body is not read


async def _too_large(send: Send, service: str, limit: int, rid: list[tuple[bytes, bytes]]) -> int:
    detail = f"request body larger than {limit} bytes (PROXY_BODY_MAX)"
    return await send_json(send, 413, {"detail": detail, "service": service}, [*rid, _CLOSE])


def _split(scope: Scope) -> tuple[str, str] | None:
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    service, slash, tail = raw[_PREFIX_LEN:].partition(b"/")
    if not service:
        return None
    return unquote(service.decode("latin-1")), "/" + tail.decode("latin-1") if slash else "/"


async def proxy_request(core: GatewayCore, scope: Scope, receive: Receive, send: Send) -> int:
    """Serve one ``/svc/...`` request; returns the status sent. Adds ``X-Request-ID`` to the
    response (from ``scope["gateway.request_id"]``)."""
    request_id: str = scope.get("gateway.request_id", "")
    rid = [(b"x-request-id", request_id.encode())] if request_id else []
    parts = _split(scope)
    if parts is None:
        return await send_json(send, 404, {"detail": "use /svc/{service}/{path}", "service": None}, rid)
    return await _forward(core, scope, receive, send, parts[0], parts[1], request_id, rid)


def declared_route(core: GatewayCore, scope: Scope) -> Route | None:
    """The service-declared route (``urlprefix-`` tag) serving this request, if any. The
    gateway's own routes win: a path under one of their first segments is never matched.
    Matched on the decoded path; ``strip`` then applies to the raw one. Looked up once per
    request: the answer is kept in the scope (``gateway.declared``), since the server's
    direct path, the ASGI app it may hand the request to, and the proxy all ask."""
    route = scope.get(_DECLARED, _UNSEEN)
    if route is _UNSEEN:
        route = scope[_DECLARED] = _lookup_declared(core, scope)
    return route  # type: ignore[no-any-return]


_DECLARED = "gateway.declared"
_UNSEEN = object()


def _lookup_declared(core: GatewayCore, scope: Scope) -> Route | None:
    routes = core.routes
    prefixes = routes.prefixes
    if not prefixes.routes:
        return None
    path: str = scope["path"]
    if prefixes.has_root:  # other declared prefixes never start with an own segment
        end = path.find("/", 1)
        if (path[1:end] if end > 0 else path[1:]) in routes.reserved:
            return None
    host = ""
    if prefixes.has_hosts:
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
                break
    return prefixes.lookup(path, host)


async def proxy_declared(core: GatewayCore, route: Route, scope: Scope, receive: Receive, send: Send) -> int:
    """Serve a request matched by a declared route; like ``proxy_request`` otherwise."""
    request_id: str = scope.get("gateway.request_id", "")
    rid = [(b"x-request-id", request_id.encode())] if request_id else []
    scope["gateway.route"] = DECLARED_ROUTE
    raw: bytes | None = scope.get("raw_path")
    path = route.upstream_path(raw.decode("latin-1") if raw else scope["path"])
    if not route.limited:
        return await _forward(core, scope, receive, send, route.service, path, request_id, rid)
    with core.limits.admitted(route.limit_key, route.rate, route.max_in_flight) as rejected:
        if rejected is not None:
            return await _reject(send, rejected, route.service, rid)
        return await _forward(core, scope, receive, send, route.service, path, request_id, rid)


def rule_options(rules: ServiceRules, method: str, candidates: tuple[Instance, ...]) -> dict[str, Any]:
    """The upstream client's options for a call under a service's traffic rules: the chosen
    version's instances, its timeouts and attempts, and which answers and timeouts are tried
    again. ``retry_methods`` says which methods may be tried again (after a per-try timeout or
    a retry status); unset, the client's defaults apply (idempotent methods)."""
    policy = rules.policy
    methods = policy.retry_methods
    retry_ok = method in methods if methods is not None else method in _IDEMPOTENT
    return {
        "candidates": candidates,
        "timeout": policy.total_timeout,
        "try_timeout": policy.timeout,
        "attempts": policy.retry_attempts,
        "idempotent": None if methods is None else retry_ok,
        "retry_statuses": policy.retry_statuses if retry_ok else None,
    }


async def _reject(send: Send, rejected: Rejection, service: str, rid: list[tuple[bytes, bytes]]) -> int:
    retry_after = [(b"retry-after", str(rejected.retry_after).encode())]
    return await send_json(
        send, rejected.status, {"detail": rejected.detail, "service": service}, rid + retry_after
    )


async def _forward(
    core: GatewayCore,
    scope: Scope,
    receive: Receive,
    send: Send,
    service: str,
    path: str,
    request_id: str,
    rid: list[tuple[bytes, bytes]],
) -> int:
    scope["gateway.service"] = service
    rules = core.routes.rules.get(service)
    policy = rules.policy if rules is not None else None
    if policy is None or not policy.limited:
        return await _send_upstream(core, scope, receive, send, service, path, request_id, rid, rules)
    with core.limits.admitted(service, policy.rate, policy.max_in_flight) as rejected:
        if rejected is not None:
            return await _reject(send, rejected, service, rid)
        return await _send_upstream(core, scope, receive, send, service, path, request_id, rid, rules)


async def _send_upstream(
    core: GatewayCore,
    scope: Scope,
    receive: Receive,
    send: Send,
    service: str,
    path: str,
    request_id: str,
    rid: list[tuple[bytes, bytes]],
    rules: ServiceRules | None,
) -> int:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    length: int | None = None
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            if not value.isdigit():
                return await send_json(
                    send, 400, {"detail": "invalid Content-Length", "service": service}, rid
                )
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    limit = core.settings.proxy_body_max
    if length is not None and length > limit:
        return await _too_large(send, service, limit, rid)
    body: bytes | AsyncIterator[bytes] | None
    try:
        if length is not None and length <= core.settings.buffer_request_max:
            body = await _read_body(receive) if length else None
        elif length is not None or chunked:
            body = _stream_body(receive, limit)
        else:
            body = None
    except _ClientGone:
        return 499
    client = scope.get("client")
    fwd = forward_request_headers(
        headers,
        client_ip=client[0] if client else None,
        scheme=scope.get("scheme", "http"),
        request_id=request_id,
    )
    method: str = scope["method"]
    qs: bytes = scope.get("query_string", b"")
    try:
        if rules is None:
            resp = await core.client.request(
                service, method, path, query=qs.decode("latin-1"), headers=fwd, body=body, stream=True
            )
        else:
            candidates, version = rules.candidates(headers)
            if not candidates:
                detail = f"no healthy instance of service '{service}' with version '{version}'"
                return await send_json(send, 503, {"detail": detail, "service": service}, rid)
            resp = await core.client.request(
                service,
                method,
                path,
                query=qs.decode("latin-1"),
                headers=fwd,
                body=body,
                stream=True,
                **rule_options(rules, method, candidates),
            )
    except UpstreamError as exc:
        if isinstance(exc.__cause__, _BodyTooLarge) or isinstance(exc.__context__, _BodyTooLarge):
            return await _too_large(send, service, limit, rid)
        return await send_json(send, exc.status_code, exc.to_body(), rid)
    except _BodyTooLarge:
        return await _too_large(send, service, limit, rid)
    except _ClientGone:
        return 499
    scope["gateway.instance"] = resp.instance.id
    scope["gateway.attempts"] = resp.attempts
    out_headers, _length = forward_response_headers(resp.raw_headers)
    out_headers += rid
    if not resp.streamed:
        await send({"type": "http.response.start", "status": resp.status, "headers": out_headers})
        await send({"type": "http.response.body", "body": resp.body if method != "HEAD" else b""})
        return resp.status
    await relay_streamed(send, resp, method, out_headers, service, path)
    return resp.status


async def relay_streamed(
    send: Send,
    resp: UpstreamResponse,
    method: str,
    out_headers: list[tuple[bytes, bytes]],
    service: str,
    path: str,
) -> None:
    """Send a streamed upstream response on as it arrives; the upstream connection is
    released (or closed) in every case."""
    try:
        await send({"type": "http.response.start", "status": resp.status, "headers": out_headers})
        if method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        async for chunk in resp:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except Exception as exc:  # upstream broke mid-body, or the client left: nothing more to send
        log.warning("streaming %s%s from %s aborted: %s", service, path, resp.instance.id, exc)
        raise
    finally:
        await resp.aclose()


class ProxyMiddleware:
    """Answers ``/svc/...`` and declared routes itself; everything else goes on to FastAPI."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            core: GatewayCore | None = getattr(scope["app"].state, "core", None)
            if core is None:
                await send_json(send, 503, {"detail": "gateway is starting", "service": None})
                return
            await proxy_request(core, scope, receive, send)
            return
        if scope["type"] == "http":
            core = getattr(scope["app"].state, "core", None)
            route = declared_route(core, scope) if core is not None else None
            if core is not None and route is not None:
                await proxy_declared(core, route, scope, receive, send)
                return
        await self.app(scope, receive, send)
