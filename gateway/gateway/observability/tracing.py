"""W3C Trace Context through the gateway, and OpenTelemetry spans when an exporter is set.

Propagation (always on, no SDK): a request's valid ``traceparent`` (and its ``tracestate``)
becomes the trace of everything the gateway sends on its behalf — the proxied call, each
flow node's call, predictions — with the trace id kept and a new parent (span) id per hop
and per attempt. An absent or invalid ``traceparent`` starts nothing and the client's
headers are not forwarded (W3C: an invalid one is ignored, with its ``tracestate``).

Export (``OTEL_EXPORTER_OTLP_ENDPOINT`` set): spans through the OpenTelemetry SDK, exported
over OTLP/HTTP: ``gateway request`` (server), ``upstream attempt`` (client, one per try, its
id is the parent id the upstream sees) and ``flow node`` (internal). A request without a
``traceparent`` then starts a new trace. Unset, the SDK is never imported.

The current trace lives in a context variable set where a request enters (the access
recorder) and read where the one upstream client sends: every caller is covered without
passing it along.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

__all__ = [
    "TraceContext",
    "Tracer",
    "attempt_headers",
    "begin_request",
    "current_trace",
    "end_attempt",
    "end_request",
    "node_span",
    "parse_traceparent",
    "tracer",
]

TRACEPARENT = b"traceparent"
TRACESTATE = b"tracestate"
_ZERO_TRACE = b"0" * 32
_ZERO_SPAN = b"0" * 16


class TraceContext:
    """The trace a request belongs to; ``span_id`` is the gateway's own span in it.

    Ids are lower-case hex bytes, as they travel in headers (no decoding per request)."""

    __slots__ = ("trace_id", "span_id", "flags", "tracestate", "span", "prefix", "suffix")

    def __init__(
        self, trace_id: bytes, span_id: bytes, flags: bytes, tracestate: bytes | None = None, span: Any = None
    ) -> None:
        self.trace_id = trace_id  # 32 hex
        self.span_id = span_id  # 16 hex
        self.flags = flags  # 2 hex
        self.tracestate = tracestate
        self.span = span  # the SDK span, when exporting
        # An attempt's traceparent is prefix + its span id + suffix.
        self.prefix = b"00-" + trace_id + b"-"
        self.suffix = b"-" + flags

    def child_traceparent(self, span_id: bytes) -> bytes:
        return self.prefix + span_id + self.suffix


current_trace: ContextVar[TraceContext | None] = ContextVar("gateway_trace", default=None)


# version-traceid-parentid-flags, lower-case hex; a version after 00 may append "-..." fields.
_VERSION_00 = re.compile(rb"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_TRACEPARENT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\r\n]*)?")


def parse_traceparent(value: bytes | str) -> tuple[bytes, bytes, bytes] | None:
    """``(trace_id, parent_id, flags)`` of a valid W3C traceparent, else None.

    Version 00 is exactly 55 characters; a later version may append ``-…`` fields (read the
    first four); version ``ff`` and all-zero ids are invalid (W3C Trace Context §3.2).
    """
    raw = value.encode("latin-1") if isinstance(value, str) else value
    m = _TRACEPARENT.fullmatch(raw.strip(b" \t"))
    if m is None:
        return None
    version, trace_id, parent_id, flags, rest = m.groups()
    if version == b"ff" or (version == b"00" and rest) or trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id, parent_id, flags


def _new_span_id() -> bytes:
    return b"%016x" % (random.getrandbits(64) or 1)


class Tracer:
    """The OpenTelemetry SDK side; ``Tracer.from_env()`` is None unless an exporter is set."""

    def __init__(self, service_name: str = "gateway") -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and ..._TRACES_ENDPOINT, headers, …).
        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._tracer = self.provider.get_tracer("consul-gateway")

    @classmethod
    def from_env(cls) -> Tracer | None:
        if not (
            os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        ):
            return None
        return cls(os.environ.get("OTEL_SERVICE_NAME") or "gateway")

    def start(
        self, name: str, kind: str, parent: TraceContext | None, attributes: dict[str, Any]
    ) -> TraceContext:
        from opentelemetry import trace
        from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, TraceState

        if parent is None:
            context = None
        elif parent.span is not None:
            context = trace.set_span_in_context(parent.span)
        else:  # the remote caller's span
            state = (
                TraceState.from_header([parent.tracestate.decode("latin-1")]) if parent.tracestate else None
            )
            remote = SpanContext(
                int(parent.trace_id, 16),
                int(parent.span_id, 16),
                is_remote=True,
                trace_flags=TraceFlags(int(parent.flags, 16)),
                trace_state=state,
            )
            context = trace.set_span_in_context(NonRecordingSpan(remote))
        span = self._tracer.start_span(
            name, context=context, kind=getattr(SpanKind, kind), attributes=attributes
        )
        sc = span.get_span_context()
        return TraceContext(
            b"%032x" % sc.trace_id,
            b"%016x" % sc.span_id,
            b"%02x" % int(sc.trace_flags),
            parent.tracestate if parent else None,
            span,
        )

    def shutdown(self) -> None:
        self.provider.shutdown()


_tracer: list[Tracer | None] = []


def tracer() -> Tracer | None:
    """The process's exporter-backed tracer (created on first use), or None."""
    if not _tracer:
        _tracer.append(Tracer.from_env())
    return _tracer[0]


def begin_request(
    headers: Sequence[tuple[bytes, bytes]], method: str = "", path: str = ""
) -> TraceContext | None:
    """Read the request's trace headers and make its trace current (None: not traced)."""
    parsed = None
    seen = 0
    state: bytes | None = None
    for name, value in headers:
        if name == TRACEPARENT:
            seen += 1
            parsed = parse_traceparent(value) if seen == 1 else None  # more than one: invalid
        elif name == TRACESTATE:
            state = value if state is None else state + b"," + value  # W3C: combine repeated fields
    exporter = tracer()
    ctx: TraceContext | None
    if parsed is None:
        ctx = None
        if exporter is not None:
            ctx = exporter.start(
                "gateway request", "SERVER", None, {"http.request.method": method, "url.path": path}
            )
    else:
        trace_id, parent_id, flags = parsed
        remote = TraceContext(trace_id, parent_id, flags, state)
        if exporter is None:
            ctx = TraceContext(trace_id, _new_span_id(), flags, state)
        else:
            ctx = exporter.start(
                "gateway request", "SERVER", remote, {"http.request.method": method, "url.path": path}
            )
    current_trace.set(ctx)
    return ctx


def propagation_lines(traceparent: bytes | None, tracestate: bytes | None) -> bytes | None:
    """For a request traced by its caller, when no exporter is set: the ``traceparent`` and
    ``tracestate`` header lines its upstream call carries (same trace, a new parent id), as
    ``begin_request`` + ``attempt_headers`` would send them; None when not traced. With an
    exporter, spans are made: use ``begin_request``."""
    if traceparent is None:
        return None
    if _VERSION_00.fullmatch(traceparent):  # the usual exact form: slices, no groups
        trace_id, flags = traceparent[3:35], traceparent[53:55]
        if trace_id == _ZERO_TRACE or traceparent[36:52] == _ZERO_SPAN:
            return None
    else:
        parsed = parse_traceparent(traceparent)
        if parsed is None:
            return None
        trace_id, _parent, flags = parsed
    line = b"traceparent: 00-%b-%016x-%b\r\n" % (trace_id, random.getrandbits(64) or 1, flags)
    return line + b"tracestate: " + tracestate + b"\r\n" if tracestate else line


def end_request(ctx: TraceContext | None, status: int) -> None:
    if ctx is not None and ctx.span is not None:
        ctx.span.set_attribute("http.response.status_code", status)
        if status >= 500:
            from opentelemetry.trace import Status, StatusCode

            ctx.span.set_status(Status(StatusCode.ERROR))
        ctx.span.end()


def attempt_headers(
    headers: list[tuple[bytes, bytes]] | bytes, service: str, address: str, attempt: int
) -> tuple[list[tuple[bytes, bytes]] | bytes, Any]:
    """The headers of one upstream attempt: the caller's (minus any trace headers) plus this
    hop's ``traceparent``/``tracestate``. Returns ``(headers, span)``; ``span`` (exporting
    only) is ended by the caller with ``end_attempt``. Untraced: the same list, no copy."""
    if isinstance(headers, bytes):
        return _next_attempt_block(headers, attempt), None
    ctx = current_trace.get()
    if ctx is None:
        return headers, None
    out = [h for h in headers if h[0] != TRACEPARENT and h[0] != TRACESTATE]
    span = None
    exporter = tracer() if ctx.span is not None else None
    if exporter is not None:
        child = exporter.start(
            "upstream attempt",
            "CLIENT",
            ctx,
            {"gateway.service": service, "server.address": address, "gateway.attempt": attempt},
        )
        span, span_id = child.span, child.span_id
    else:
        span_id = _new_span_id()
    out.append((TRACEPARENT, ctx.child_traceparent(span_id)))
    if ctx.tracestate:
        out.append((TRACESTATE, ctx.tracestate))
    return out, span


_BLOCK_TRACEPARENT = b"\r\ntraceparent: 00-"


def _next_attempt_block(headers: bytes, attempt: int) -> bytes:
    """Joined header lines (the direct proxy path's, ``propagation_lines`` included): the first
    attempt sends them as they are; a later one gets a new parent id in its traceparent."""
    if attempt == 1:
        return headers
    if headers.startswith(_BLOCK_TRACEPARENT[2:]):
        at = 0
    else:
        at = headers.find(_BLOCK_TRACEPARENT)
        if at < 0:
            return headers  # not traced
        at += 2
    start = at + len(_BLOCK_TRACEPARENT) - 2 + 33  # past "traceparent: 00-", the trace id and "-"
    return headers[:start] + _new_span_id() + headers[start + 16 :]


def end_attempt(span: Any, status: int | None, error: str | None = None) -> None:
    if span is None:
        return
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if error is not None or (status is not None and status >= 500):
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, error))
    span.end()


@contextlib.contextmanager
def node_span(flow: str, node: str) -> Iterator[None]:
    """A ``flow node`` span around one node (exporting only): its attempts become children."""
    ctx = current_trace.get()
    exporter = tracer() if ctx is not None and ctx.span is not None else None
    if exporter is None:
        yield
        return
    child = exporter.start("flow node", "INTERNAL", ctx, {"gateway.flow": flow, "gateway.node": node})
    token = current_trace.set(child)
    try:
        yield
    finally:
        current_trace.reset(token)
        child.span.end()
