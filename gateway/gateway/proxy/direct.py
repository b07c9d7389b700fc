"""The proxy's direct path: ``/svc/{service}/{path}`` and service-declared routes answered
straight from the HTTP server.

Nearly all proxy traffic is a small request with its whole body at hand, answered by a
small response. ``plan`` recognises such a request (synchronously, before anything is sent)
and returns the coroutine that serves it: one scan of the request headers (request id, hop
count, trace context, forwarding headers, framing) builds the upstream header lines as one
block, ``ServiceClient.forward`` makes the call (the one balancer, ejection and retry path),
and the response head and body go out in one write. A service's traffic rules apply as on
the general path (version choice, timeouts, attempts, retried statuses:
``handler.rule_options``), and so do its admission limits or a declared route's (429/503
with ``Retry-After``, through the one ``Limits.admitted``). Everything else (a route and its
service both limited, streamed or incomplete bodies, ``Expect``, a ``Connection`` header
naming other headers, an exporter making spans, bad framing, too many hops, no instance of
the version asked for) gets ``None`` and is served by the general ASGI path
(``proxy.handler``), which also answers the errors (400, 413, 508).

Why a second way in: the general path costs ~100 µs of CPU per request on this project's
machines, most of it in function calls and objects per request (ASGI messages, a dozen
nested coroutines, header lists rebuilt three times); this one is measured against it in
``bench/gateway``. Both produce the same upstream request and the same response; the tests
in ``tests/gateway/proxy/test_direct.py`` compare them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Coroutine
from typing import Any, Protocol

from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from ..core import GatewayCore
from ..limits.hops import HOP_HEADER, hop_value
from ..observability.access_recorder import AccessRecorder, new_request_id
from ..observability.tracing import propagation_lines, tracer
from ..policy import RateLimit
from ..upstream import UpstreamError, UpstreamResponse
from .handler import DECLARED_ROUTE, declared_route, relay_streamed, rule_options
from .headers import HOP_BY_HOP, REQUEST_DROP, RESPONSE_DROP, connection_tokens, forward_response_headers

__all__ = ["DirectCycle", "plan"]

log = logging.getLogger("gateway.proxy")

_PREFIX = b"/svc/"
# Request headers the scan looks at (everything else is copied as it came).
_SPECIAL = REQUEST_DROP | {b"content-length", b"x-forwarded-for", HOP_HEADER}
# Connection tokens that need nothing beyond dropping the hop-by-hop headers.
_PLAIN_TOKENS = HOP_BY_HOP | {b"close"}
_MAX_ID = 128
_NO_BODY_STATUS = (204, 304)
_NO_RULES: dict[str, Any] = {}  # ServiceClient.forward's defaults: no traffic rules
# Limits.admitted's arguments: the key (a service, or a declared route's), rate, in-flight cap.
_Admission = tuple[str, RateLimit | None, int | None]


class DirectCycle(Protocol):
    """What ``plan`` needs of the server's request/response cycle (uvicorn's, see server.py)."""

    scope: dict[str, Any]
    body: bytearray
    more_body: bool
    keep_alive: bool
    disconnected: bool
    response_started: bool
    response_complete: bool
    transport: Any  # with write_now (server.CoalescingTransport)
    flow: Any
    default_headers: list[tuple[bytes, bytes]]  # the server's Date (and Server, if configured)

    def on_response(self) -> None: ...

    async def receive(self) -> Any: ...

    async def send(self, message: Any) -> None: ...

    async def send_500_response(self) -> None: ...


def plan(
    core: GatewayCore, recorder: AccessRecorder, cycle: DirectCycle, max_hops: int
) -> Coroutine[Any, Any, None] | None:
    """The coroutine serving this request on the direct path, or None (the general path's)."""
    if cycle.more_body:
        return None  # the body is still arriving: the general path streams it
    scope = cycle.scope
    raw_path: bytes = scope["raw_path"]
    admission: _Admission | None = None
    declared = False
    if raw_path.startswith(_PREFIX):
        service_raw, slash, tail = raw_path[5:].partition(b"/")
        if not service_raw or b"%" in service_raw:
            return None  # the general path decodes it (or answers 404)
        service = service_raw.decode("latin-1")
        target = "/" + tail.decode("latin-1") if slash else "/"
    else:
        route = declared_route(core, scope)
        if route is None:
            return None  # one of the gateway's own routes (FastAPI's)
        service = route.service
        target = route.upstream_path(raw_path.decode("latin-1"))
        declared = True
        if route.limited:
            admission = (route.limit_key, route.rate, route.max_in_flight)
    options = _NO_RULES
    rules = core.routes.rules.get(service)
    if rules is not None:
        policy = rules.policy
        if policy.limited:
            if admission is not None:
                return None  # the route's limits and the service's: the general path nests them
            admission = (service, policy.rate, policy.max_in_flight)
        candidates, _version = rules.candidates(scope["headers"])
        if not candidates:
            return None  # the general path's 503 names the version asked for
        options = rule_options(rules, scope["method"], candidates)
    settings = core.settings
    lines: list[bytes] = []
    length = 0
    request_id = ""
    seen_id = False
    host = b""
    xff = b""
    hops = -1  # no X-Gateway-Hops yet
    traceparent: bytes | None = None
    traces = 0
    tracestate: bytes | None = None
    special = _SPECIAL
    for name, value in scope["headers"]:
        if name not in special:
            lines += (name, b": ", value, b"\r\n")
            continue
        if name == b"content-length":
            if not value.isdigit():
                return None
            length = int(value)
        elif name == b"host":
            host = value
        elif name == b"traceparent":
            traceparent = value
            traces += 1
        elif name == b"x-forwarded-for":
            xff = value
        elif name == b"x-request-id":
            if not seen_id:
                seen_id = True
                if 0 < len(value) <= _MAX_ID and value.isascii():
                    text = value.decode()
                    request_id = text if text.isprintable() else ""
        elif name == HOP_HEADER:
            if hops < 0:  # the first one counts, as in HopLimit
                hops = hop_value(value, max_hops)
        elif name == b"tracestate":
            tracestate = value if tracestate is None else tracestate + b"," + value
        elif name == b"connection":
            if not _plain_connection(value):
                return None  # it names more headers to drop: the general path's rule
        elif name == b"transfer-encoding" or name == b"expect" or name == b"upgrade":
            return None
    hops = max(hops, 0)
    if hops >= max_hops or length > settings.buffer_request_max or length > settings.proxy_body_max:
        return None
    if tracer() is not None:
        return None  # spans to export, traced or new traces: begin_request/attempt_headers
    if not request_id:
        request_id = new_request_id()
    client = scope["client"]
    client_ip = client[0].encode() if client else b""
    if client_ip:
        xff = xff + b", " + client_ip if xff else client_ip
    if xff:
        lines += (b"x-forwarded-for: ", xff, b"\r\n")
    if client_ip:
        lines += (b"x-real-ip: ", client_ip, b"\r\n")
    lines += (b"x-forwarded-proto: ", scope["scheme"].encode(), b"\r\n")
    if host:
        lines += (b"x-forwarded-host: ", host, b"\r\n")
    rid = request_id.encode()
    lines += (b"x-request-id: ", rid, b"\r\nx-gateway-hops: ", b"%d" % (hops + 1), b"\r\n")
    if traces == 1:
        trace = propagation_lines(traceparent, tracestate)
        if trace is not None:
            lines.append(trace)
    query: bytes = scope["query_string"]
    if query:
        target += "?" + query.decode("latin-1")
    scope["gateway.request_id"] = request_id
    scope["gateway.service"] = service
    if declared:
        scope["gateway.route"] = DECLARED_ROUTE  # the metrics and access-log route label
    body = bytes(cycle.body) if length else None
    serve = _serve(core, recorder, cycle, service, target, b"".join(lines), body, rid, options)
    return serve if admission is None else _admitted(admission, core, recorder, cycle, serve)


async def _serve(
    core: GatewayCore,
    recorder: AccessRecorder,
    cycle: DirectCycle,
    service: str,
    target: str,
    headers: bytes,
    body: bytes | None,
    rid: bytes,
    options: dict[str, Any],
) -> None:
    started = time.perf_counter()
    scope = cycle.scope
    method: str = scope["method"]
    status = 500
    try:
        try:
            resp = await core.client.forward(service, method, target, headers, body, **options)
        except UpstreamError as exc:
            status = exc.status_code
            _reply(cycle, status, json.dumps(exc.to_body()).encode(), rid)
            return
        scope["gateway.instance"] = resp.instance.id
        scope["gateway.attempts"] = resp.attempts
        status = resp.status
        if resp.streamed:
            out_headers, _length = forward_response_headers(resp.raw_headers)
            out_headers.append((b"x-request-id", rid))
            await relay_streamed(cycle.send, resp, method, out_headers, service, target)
            return
        _relay(cycle, resp, method, rid)
    except Exception:  # as uvicorn's run_asgi: a 500 if nothing was sent yet, else close
        log.exception("proxy request failed")
        status = 500
        if not cycle.response_started:
            await cycle.send_500_response()
        else:
            cycle.transport.close()
    finally:
        recorder.record(scope, status, time.perf_counter() - started, core)


async def _admitted(
    admission: _Admission,
    core: GatewayCore,
    recorder: AccessRecorder,
    cycle: DirectCycle,
    serve: Coroutine[Any, Any, None],
) -> None:
    """Run ``serve`` (``_serve``'s coroutine) within the limits of the service or declared
    route (``Limits.admitted``, as on the general path); a refusal is answered 429 or 503
    with ``Retry-After``."""
    started = time.perf_counter()
    with core.limits.admitted(*admission) as rejected:
        if rejected is None:
            await serve
            return
    serve.close()  # never started: nothing to undo
    scope = cycle.scope
    detail = json.dumps({"detail": rejected.detail, "service": scope["gateway.service"]}).encode()
    rid = scope["gateway.request_id"].encode()
    _reply(cycle, rejected.status, detail, rid, b"retry-after: %d\r\n" % rejected.retry_after)
    recorder.record(scope, rejected.status, time.perf_counter() - started, core)


def _relay(cycle: DirectCycle, resp: UpstreamResponse, method: str, rid: bytes) -> None:
    """Write a response that arrived whole: head and body in one write."""
    status = resp.status
    head = [_status_line(status)]
    drop = RESPONSE_DROP
    length = False
    for name, value in resp.raw_headers:
        low = name.lower()
        if low in drop:
            if low == b"connection" and not _plain_connection(value):  # it names more to drop
                out, _ = forward_response_headers(resp.raw_headers)
                head = [head[0]]
                for n, v in out:
                    head += (n, b": ", v, b"\r\n")
                length = any(n == b"content-length" for n, _v in out)
                break
            continue
        if low == b"content-length":
            length = True
        head += (low, b": ", value, b"\r\n")
    body = resp.body
    if not length and status not in _NO_BODY_STATUS and method != "HEAD":
        head += (b"content-length: ", b"%d" % len(body), b"\r\n")  # the upstream's was chunked
    _finish(cycle, head, rid, b"" if method == "HEAD" or status in _NO_BODY_STATUS else body)


def _plain_connection(value: bytes) -> bool:
    """A Connection header naming nothing but hop-by-hop headers (``keep-alive``, ``close``)."""
    low = value.lower()
    if low == b"keep-alive" or low == b"close":  # nearly always
        return True
    return connection_tokens(low) <= _PLAIN_TOKENS


def _reply(cycle: DirectCycle, status: int, body: bytes, rid: bytes, extra: bytes = b"") -> None:
    """A JSON answer of the gateway's own (``extra``: more header lines)."""
    head = [
        _status_line(status),
        b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body),
        extra,
    ]
    _finish(cycle, head, rid, b"" if cycle.scope["method"] == "HEAD" else body)


def _finish(cycle: DirectCycle, head: list[bytes], rid: bytes, body: bytes) -> None:
    for name, value in cycle.default_headers:
        head += (name, b": ", value, b"\r\n")
    head += (b"x-request-id: ", rid, b"\r\n")
    if not cycle.keep_alive:
        head.append(b"connection: close\r\n")
    head.append(b"\r\n")
    cycle.response_started = True
    cycle.response_complete = True
    if cycle.disconnected:
        return  # the client left while the upstream answered (as uvicorn's send does)
    transport = cycle.transport
    transport.write_now(b"".join(head) + body if body else b"".join(head))
    if not cycle.keep_alive:
        transport.close()
    cycle.on_response()


def _status_line(status: int) -> bytes:
    """uvicorn's status line (the one its ``send`` writes); an upstream may also answer with
    a code outside 100-599, which httptools parses."""
    return STATUS_LINE.get(status) or b"HTTP/1.1 %d \r\n" % status
