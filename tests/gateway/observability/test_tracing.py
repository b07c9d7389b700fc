"""observability.tracing without an exporter: W3C traceparent parsing and per-hop propagation."""

from __future__ import annotations

import pytest

from gateway.observability import tracing
from gateway.observability.tracing import attempt_headers, begin_request, current_trace, parse_traceparent

VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.mark.parametrize(
    "value",
    [
        VALID,
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future",  # later version, extra field
        "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
    ],
)
def test_valid_traceparents(value: str) -> None:
    assert parse_traceparent(value) == (
        b"0af7651916cd43dd8448eb211c80319c",
        b"b7ad6b7169203331",
        value[53:55].encode(),
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  # version 00 is exactly 55
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # version ff is invalid
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # all-zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # all-zero parent id
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  # upper case
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x",
        "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",
    ],
)
def test_invalid_traceparents(value: str) -> None:
    assert parse_traceparent(value) is None


@pytest.fixture(autouse=True)
def _no_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setattr(tracing, "_tracer", [])
    current_trace.set(None)


def test_each_attempt_gets_the_trace_id_and_a_new_parent_id() -> None:
    ctx = begin_request([(b"traceparent", VALID.encode()), (b"tracestate", b"vendor=abc")])
    assert ctx is not None and ctx.trace_id == VALID[3:35].encode() and ctx.span_id != VALID[36:52].encode()
    caller = [(b"content-type", b"application/json"), (b"traceparent", b"stale")]
    first, span = attempt_headers(caller, "svc", "127.0.0.1:1", 1)
    second, _ = attempt_headers(caller, "svc", "127.0.0.1:2", 2)
    assert span is None
    tp1 = dict(first)[b"traceparent"].decode()
    tp2 = dict(second)[b"traceparent"].decode()
    assert tp1[3:35] == tp2[3:35] == VALID[3:35] and tp1[53:] == "01"
    assert len({tp1[36:52], tp2[36:52], VALID[36:52]}) == 3
    assert dict(first)[b"tracestate"] == b"vendor=abc"
    assert [n for n, _ in first].count(b"traceparent") == 1  # the caller's stale one is replaced


def test_untraced_requests_send_no_trace_headers_and_copy_nothing() -> None:
    for headers in ([], [(b"traceparent", b"00-garbage")], [(b"traceparent", VALID.encode())] * 2):
        assert begin_request(headers) is None
        caller = [(b"accept", b"*/*")]
        out, span = attempt_headers(caller, "svc", "a:1", 1)
        assert out is caller and span is None


def test_joined_header_lines_get_a_new_parent_id_per_retry() -> None:
    """The direct proxy path joins its header lines once (propagation_lines); a retried
    attempt must still carry a parent id of its own."""
    from gateway.observability.tracing import propagation_lines

    trace = propagation_lines(b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", b"a=1")
    assert trace is not None
    for block in (b"x-a: 1\r\n" + trace, trace + b"x-b: 2\r\n"):
        first, _ = attempt_headers(block, "svc", "a:1", 1)
        second, _ = attempt_headers(block, "svc", "a:2", 2)
        assert first is block
        assert isinstance(second, bytes) and len(second) == len(block)
        parents = [
            line.split(b"-")[2]
            for line in (first, second)
            for line in line.split(b"\r\n")
            if line.startswith(b"traceparent")
        ]
        assert parents[0] != parents[1] and all(len(p) == 16 for p in parents)
        assert second.replace(parents[1], parents[0]) == block  # nothing else changed
    untraced = b"x-a: 1\r\n"
    assert attempt_headers(untraced, "svc", "a:1", 2)[0] is untraced
