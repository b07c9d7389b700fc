"""Trace context end to end with real processes: a request's traceparent reaches the upstream
with the same trace id and a new parent id, through /svc/ and through a two-node flow; with
an OTLP endpoint set, the gateway exports its spans (a real OTLP/HTTP receiver here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.gateway.helpers import start_gateway, start_upstream
from tests.support.processes import free_port, wait_until

TOKEN = "trace-test-token"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"


@pytest.fixture(scope="module")
def upstream(module_consul_url: str) -> Iterator[None]:
    proc = start_upstream(module_consul_url, "traced")
    try:
        yield
    finally:
        proc.stop()


def _seen(body: dict[str, Any]) -> str:
    return body["headers"].get("traceparent", "")


def _flow(url: str) -> None:
    definition = {
        "name": "traced",
        "endpoint": "/traced",
        "nodes": {
            "first": {"service": "traced", "endpoint": "/headers/first"},
            "second": {"service": "traced", "endpoint": "/headers/second"},
        },
        "flow": [{"service": "first", "next": ["second"]}],
    }
    resp = httpx.put(f"{url}/api/flows/traced", json=definition, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code in (200, 201), resp.text


def _wait_routed(url: str) -> None:
    wait_until(
        lambda: any(s["name"] == "traced" for s in httpx.get(f"{url}/api/routes").json()["services"]),
        15,
        what="traced routed",
    )


def test_svc_and_flow_nodes_keep_the_trace_id_with_new_parent_ids(
    module_consul_url: str, upstream: None
) -> None:
    gw = start_gateway(module_consul_url, gateway_management_token=TOKEN)
    try:
        url = gw.url  # type: ignore[attr-defined]
        _wait_routed(url)
        headers = {"traceparent": TRACEPARENT, "tracestate": "congo=t61rcWkgMzE"}
        body = httpx.get(f"{url}/svc/traced/headers/x", headers=headers).json()
        seen = _seen(body)
        assert seen[3:35] == TRACE and seen[36:52] != PARENT and seen[53:] == "01"
        assert body["headers"]["tracestate"] == "congo=t61rcWkgMzE"
        # no traceparent in, none out; an invalid one is dropped, not forwarded
        assert _seen(httpx.get(f"{url}/svc/traced/headers/x").json()) == ""
        assert _seen(httpx.get(f"{url}/svc/traced/headers/x", headers={"traceparent": "00-zz"}).json()) == ""

        _flow(url)
        run = httpx.post(f"{url}/api/flows/traced/run", json={"q": 1}, headers=headers, timeout=20)
        assert run.status_code == 200, run.text
        results = run.json()["results"]
        parents = set()
        for node in ("first", "second"):
            tp = _seen(results[node])
            assert tp[3:35] == TRACE, (node, tp)
            parents.add(tp[36:52])
        assert len(parents) == 2 and PARENT not in parents
    finally:
        gw.stop()


class _Receiver(BaseHTTPRequestHandler):
    spans: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["content-length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                _Receiver.spans.extend(ss.spans)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_spans_exported_over_otlp(module_consul_url: str, upstream: None) -> None:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gw = start_gateway(
        module_consul_url,
        gateway_management_token=TOKEN,
        otel_exporter_otlp_endpoint=f"http://127.0.0.1:{port}",
        otel_bsp_schedule_delay="100",
    )
    try:
        url = gw.url  # type: ignore[attr-defined]
        _wait_routed(url)
        seen = _seen(httpx.get(f"{url}/svc/traced/headers/x", headers={"traceparent": TRACEPARENT}).json())
        _flow(url)
        run = httpx.post(
            f"{url}/api/flows/traced/run", json={}, headers={"traceparent": TRACEPARENT}, timeout=20
        )
        assert run.status_code == 200, run.text

        def names() -> set[str]:
            return {s.name for s in _Receiver.spans if s.trace_id.hex() == TRACE}

        wait_until(lambda: {"gateway request", "upstream attempt", "flow node"} <= names(), 15, what="spans")
        spans = [s for s in _Receiver.spans if s.trace_id.hex() == TRACE]
        [server_span] = [
            s
            for s in spans
            if s.name == "gateway request"
            and s.span_id.hex() in {p.parent_span_id.hex() for p in spans if p.name == "upstream attempt"}
            and s.parent_span_id.hex() == PARENT
        ][:1]
        attempts = {s.span_id.hex() for s in spans if s.name == "upstream attempt"}
        assert seen[36:52] in attempts  # the upstream's parent id is the exported attempt span
        assert server_span.parent_span_id.hex() == PARENT
        nodes = [s for s in spans if s.name == "flow node"]
        assert len(nodes) == 2
        node_ids = {n.span_id.hex() for n in nodes}
        assert any(s.parent_span_id.hex() in node_ids for s in spans if s.name == "upstream attempt")
        # Without a traceparent, an exporter starts a new trace (on every proxy path).
        fresh = _seen(httpx.get(f"{url}/svc/traced/headers/fresh").json())
        assert fresh[3:35] != TRACE

        def fresh_names() -> set[str]:
            return {s.name for s in _Receiver.spans if s.trace_id.hex() == fresh[3:35]}

        wait_until(lambda: {"gateway request", "upstream attempt"} <= fresh_names(), 15, what="new trace")
    finally:
        gw.stop()
        server.shutdown()
