"""The direct path (proxy/direct.py) against the general one (proxy/handler.py).

Two gateways on one dev agent and three upstreams (``web``; ``routed`` with declared
routes, one of them rate-limited; ``metered`` with a rate limit of its own): the default
gateway serves plain proxied requests on the direct path, the other has
``GATEWAY_DIRECT_PROXY=false``. The same requests must reach the upstream the same way and
come back the same way. ``plan`` itself is checked for the requests it must leave to the
general path.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from gateway.policy import ServicePolicy
from gateway.proxy.direct import plan
from gateway.routing import PrefixTable, Route
from tests.gateway.helpers import routes, start_gateway, start_upstream, wait_ports, wait_started
from tests.support.processes import ServiceProcess, wait_until

# Differ by nature between two gateways and two requests. The framing too: an upstream's
# chunked answer that arrives whole goes out with a Content-Length on the direct path and
# chunked on the general one (uvicorn's choice when none is given); it may also arrive in
# pieces on one gateway and whole on the other. The bodies are compared.
_VARYING_RESPONSE = {"date", "x-request-id", "content-length", "transfer-encoding"}
_ROUTES = ("urlprefix-/routed strip=/routed", "urlprefix-/capped strip=/capped rate=1/m burst=1")
_METERED = {"gateway-rate": "1/m", "gateway-burst": "1"}


@pytest.fixture(scope="module")
def gateways(module_consul_url: str) -> Iterator[tuple[str, str]]:
    upstreams = [
        start_upstream(module_consul_url, "web", wait=False),
        start_upstream(module_consul_url, "routed", tags=_ROUTES, wait=False),
        start_upstream(module_consul_url, "metered", meta=_METERED, wait=False),
    ]
    started: list[ServiceProcess] = []
    try:
        wait_started(upstreams)
        for direct in ("true", "false"):
            gw = start_gateway(module_consul_url, gateway_direct_proxy=direct)
            started.append(gw)
            for name, upstream in zip(("web", "routed", "metered"), upstreams, strict=True):
                wait_ports(str(gw.url), name, {upstream.port})  # type: ignore[attr-defined]
        yield str(started[0].url), str(started[1].url)  # type: ignore[attr-defined]
    finally:
        for gw in started:
            gw.stop()
        for upstream in upstreams:
            upstream.stop()


def _both(gateways: tuple[str, str], method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, ...]:
    with httpx.Client(timeout=10) as client:
        return tuple(client.request(method, f"{url}{path}", **kwargs) for url in gateways)


def _response_view(r: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in r.headers.items() if k not in _VARYING_RESPONSE}
    return r.status_code, headers, r.content


def _upstream_view(r: httpx.Response, gateway_url: str) -> dict[str, Any]:
    doc: dict[str, Any] = r.json()
    headers = dict(doc["headers"])
    # The gateway's own address differs; the caller compares request ids itself.
    assert headers.pop("x-forwarded-host") == gateway_url.removeprefix("http://")
    headers.pop("x-request-id")
    return {**doc, "headers": headers}


def test_same_upstream_request_and_response(gateways: tuple[str, str]) -> None:
    headers = {
        "X-Custom": "kept",
        "Connection": "keep-alive",
        "Keep-Alive": "timeout=5",
        "X-Forwarded-For": "10.0.0.9",
        "Forwarded": "for=10.9.9.9",
        "X-Real-IP": "10.8.8.8",
        "X-Forwarded-Proto": "https",
        "X-Request-ID": "req-same-1",
        "X-Gateway-Hops": "3",
        "Content-Type": "application/json",
    }
    direct, general = _both(
        gateways, "POST", "/svc/web/headers/a/b%20c?x=1&y=two", content=b'{"k": 1}', headers=headers
    )
    assert direct.status_code == general.status_code == 200
    assert _upstream_view(direct, gateways[0]) == _upstream_view(general, gateways[1])
    seen = direct.json()["headers"]
    assert seen["x-forwarded-for"] == "10.0.0.9, 127.0.0.1"
    assert seen["x-real-ip"] == "127.0.0.1" and "forwarded" not in seen and "keep-alive" not in seen
    assert seen["x-gateway-hops"] == "4"
    assert (
        direct.json()["headers"]["x-request-id"] == general.json()["headers"]["x-request-id"] == "req-same-1"
    )
    assert direct.headers["x-request-id"] == "req-same-1"
    assert _response_view(direct)[:2] == _response_view(general)[:2]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/svc/web/status/200"),
        ("HEAD", "/svc/web/status/200"),
        ("GET", "/svc/web/status/204"),
        ("DELETE", "/svc/web/status/503"),
        ("GET", "/svc/web/download?n=200000&chunk=7000"),  # chunked upstream answer, streamed
        ("GET", "/svc/web/download?n=3000&chunk=1000"),  # chunked, small: relayed whole
        ("GET", "/svc/no-such-service/x"),  # the gateway's own 503
        ("GET", "/svc/web"),  # no path after the service: "/"
    ],
)
def test_same_answers(gateways: tuple[str, str], method: str, path: str) -> None:
    direct, general = _both(gateways, method, path)
    assert _response_view(direct) == _response_view(general)
    assert direct.headers["date"]  # the server's Date on both paths


def test_declared_route_same_upstream_request_and_response(gateways: tuple[str, str]) -> None:
    headers = {"X-Request-ID": "req-routed-1", "X-Custom": "kept"}
    direct, general = _both(gateways, "POST", "/routed/headers/a?x=1", content=b"{}", headers=headers)
    assert direct.status_code == general.status_code == 200
    assert _upstream_view(direct, gateways[0]) == _upstream_view(general, gateways[1])
    assert direct.json()["path"] == "/headers/a"  # the prefix stripped
    assert _response_view(direct)[:2] == _response_view(general)[:2]
    wait_until(lambda: all(_counted_as_declared(url) for url in gateways), timeout=5)


def _counted_as_declared(gateway_url: str) -> bool:
    """Has the gateway counted a request on the declared-route label (metrics stay bounded)?"""
    text = httpx.get(f"{gateway_url}/metrics", timeout=5).text
    return 'route="{urlprefix}",service="routed",status="200"' in text


@pytest.mark.parametrize(
    ("path", "service"), [("/capped/whoami", "routed"), ("/svc/metered/whoami", "metered")]
)
def test_limits_refuse_the_same_way(gateways: tuple[str, str], path: str, service: str) -> None:
    """A declared route's ``rate=1/m burst=1``, and a service's: each gateway serves one
    request, then answers 429 with Retry-After (each gateway has its own bucket)."""
    if service == "metered":
        wait_until(lambda: all(service in routes(url)["policies"] for url in gateways), timeout=5)
    first = _both(gateways, "GET", path)
    second = _both(gateways, "GET", path)
    assert [r.status_code for r in first] == [200, 200]
    assert [r.status_code for r in second] == [429, 429]
    direct, general = second
    assert 1 <= int(direct.headers["retry-after"]) <= 60 and 1 <= int(general.headers["retry-after"]) <= 60
    view = {k: v for k, v in _response_view(direct)[1].items() if k != "retry-after"}
    assert view == {k: v for k, v in _response_view(general)[1].items() if k != "retry-after"}
    assert direct.json() == general.json() and direct.json()["service"] == service
    assert direct.headers["x-request-id"]


def test_trace_context_propagated_with_a_new_parent(gateways: tuple[str, str]) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    direct, general = _both(
        gateways, "GET", "/svc/web/headers/t", headers={"traceparent": parent, "tracestate": "a=1"}
    )
    for r in (direct, general):
        sent = r.json()["headers"]
        version, trace_id, parent_id, flags = sent["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", "0af7651916cd43dd8448eb211c80319c", "01")
        assert parent_id != "b7ad6b7169203331" and len(parent_id) == 16
        assert sent["tracestate"] == "a=1"


def test_unprintable_request_id_is_replaced(gateways: tuple[str, str]) -> None:
    direct, general = _both(gateways, "GET", "/svc/web/headers/r", headers={"X-Request-ID": "a\tb"})
    for r in (direct, general):
        assert r.headers["x-request-id"] != "a\tb"
        assert r.json()["headers"]["x-request-id"] == r.headers["x-request-id"]


def test_connection_close_is_honoured(gateways: tuple[str, str]) -> None:
    data = _raw(gateways[0], b"GET /svc/web/status/200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200") and b"connection: close" in head


# --------------------------------------------------------------------------- plan


def _core(rules: dict[str, object] | None = None, prefixes: object = None) -> Any:
    settings = SimpleNamespace(buffer_request_max=1024, proxy_body_max=4096)
    prefixes = prefixes or SimpleNamespace(routes=(), has_root=False, has_hosts=False)
    return SimpleNamespace(routes=SimpleNamespace(rules=rules or {}, prefixes=prefixes), settings=settings)


def _cycle(headers: list[tuple[bytes, bytes]], path: bytes = b"/svc/web/x", more_body: bool = False) -> Any:
    scope = {
        "method": "POST",
        "raw_path": path,
        "path": path.decode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "scheme": "http",
    }
    return SimpleNamespace(scope=scope, body=bytearray(b"{}"), more_body=more_body)


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ([(b"transfer-encoding", b"chunked")], "a chunked body is streamed"),
        ([(b"content-length", b"2048")], "larger than BUFFER_REQUEST_MAX: streamed"),
        ([(b"content-length", b"x")], "invalid Content-Length: the general path's 400"),
        ([(b"expect", b"100-continue")], "Expect: the general path"),
        ([(b"connection", b"keep-alive, x-secret")], "names a header to drop"),
        ([(b"x-gateway-hops", b"10")], "too many hops: the general path's 508"),
        ([(b"x-gateway-hops", b"junk")], "garbage counts as too many"),
    ],
)
def test_plan_leaves_to_the_general_path(headers: list[tuple[bytes, bytes]], why: str) -> None:
    assert plan(_core(), None, _cycle(headers), max_hops=10) is None, why  # type: ignore[arg-type]


def _rules(candidates: tuple[object, ...] = ("i1",), **policy: object) -> Any:
    fields = {
        "rate": None,
        "max_in_flight": None,
        "retry_methods": None,
        "total_timeout": 2.0,
        "timeout": 0.5,
        "retry_attempts": 2,
        "retry_statuses": frozenset({503}),
        **policy,
    }
    return SimpleNamespace(policy=ServicePolicy(**fields), candidates=lambda headers: (candidates, "v1"))  # type: ignore[arg-type]


def _admission(coroutine: Any) -> Any:
    assert coroutine is not None and coroutine.__qualname__ == "_admitted"
    admission = coroutine.cr_frame.f_locals["admission"]
    coroutine.cr_frame.f_locals["serve"].close()  # _serve's coroutine, wrapped
    coroutine.close()
    return admission


def test_plan_takes_admission_limits() -> None:
    """The service's limits, or a declared route's, are admitted on the direct path; a route
    and its service both limited is the general path's (it nests the two)."""
    rate = object()
    for limits, expected in (({"rate": rate}, ("web", rate, None)), ({"max_in_flight": 3}, ("web", None, 3))):
        assert _admission(plan(_core({"web": _rules(**limits)}), None, _cycle([]), max_hops=10)) == expected  # type: ignore[arg-type]
    route = Route(host="", prefix="/shop", service="web", strip="/shop", max_in_flight=2)
    prefixes = PrefixTable([route])
    cycle = _cycle([], path=b"/shop/cart")
    assert _admission(plan(_core(prefixes=prefixes), None, cycle, max_hops=10)) == (route.limit_key, None, 2)  # type: ignore[arg-type]
    assert cycle.scope["gateway.route"] == "{urlprefix}"
    both = _core({"web": _rules(max_in_flight=3)}, prefixes)
    assert plan(both, None, _cycle([], path=b"/shop/cart"), max_hops=10) is None  # type: ignore[arg-type]


def test_plan_takes_a_declared_route() -> None:
    prefixes = PrefixTable([Route(host="", prefix="/shop", service="web", strip="/shop")])
    cycle = _cycle([], path=b"/shop/cart")
    cycle.scope["query_string"] = b"q=1"
    coroutine: Any = plan(_core(prefixes=prefixes), None, cycle, max_hops=10)  # type: ignore[arg-type]
    assert coroutine is not None and coroutine.__qualname__ == "_serve"
    service, target = coroutine.cr_frame.f_locals["service"], coroutine.cr_frame.f_locals["target"]
    coroutine.close()
    assert (service, target) == ("web", "/cart?q=1")
    assert plan(_core(prefixes=prefixes), None, _cycle([], path=b"/api/x"), max_hops=10) is None  # type: ignore[arg-type]


def test_plan_leaves_missing_versions_unfinished_bodies_and_encoded_names() -> None:
    no_instance = _core({"web": _rules(candidates=())})  # of the version asked for: its 503
    assert plan(no_instance, None, _cycle([]), max_hops=10) is None  # type: ignore[arg-type]
    assert plan(_core(), None, _cycle([], more_body=True), max_hops=10) is None  # type: ignore[arg-type]
    assert plan(_core(), None, _cycle([], path=b"/svc/we%62/x"), max_hops=10) is None  # type: ignore[arg-type]


def test_plan_takes_a_service_with_traffic_rules() -> None:
    coroutine: Any = plan(_core({"web": _rules()}), None, _cycle([]), max_hops=10)  # type: ignore[arg-type]
    assert coroutine is not None
    options = coroutine.cr_frame.f_locals["options"]
    coroutine.close()
    assert options == {
        "candidates": ("i1",),
        "timeout": 2.0,
        "try_timeout": 0.5,
        "attempts": 2,
        "idempotent": None,
        "retry_statuses": None,  # POST is not retried by default
    }


def test_plan_takes_a_plain_request() -> None:
    cycle = _cycle([(b"content-length", b"2"), (b"connection", b"keep-alive")])
    coroutine = plan(_core(), None, cycle, max_hops=10)  # type: ignore[arg-type]
    assert coroutine is not None
    coroutine.close()  # not run: nothing to send it to
    assert cycle.scope["gateway.service"] == "web"


def _raw(gateway_url: str, *parts: bytes, pause: float = 0.0) -> bytes:
    """Send ``parts`` on one connection (``pause`` seconds apart), read until the server closes."""
    host, port = gateway_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for i, part in enumerate(parts):
            if i and pause:
                time.sleep(pause)
            sock.sendall(part)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_a_body_arriving_after_its_head_is_waited_for(gateways: tuple[str, str]) -> None:
    head = (
        b"POST /svc/web/headers/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
    )
    data = _raw(gateways[0], head, b"hello", b" world", pause=0.2)
    head_out, _, body = data.partition(b"\r\n\r\n")
    assert head_out.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["body"] == "hello world"


def test_pipelined_requests_are_answered_in_order(gateways: tuple[str, str]) -> None:
    requests = b"".join(
        b"GET /svc/web/headers/p%d HTTP/1.1\r\nHost: x\r\n%s\r\n"
        % (i, b"Connection: close\r\n" if i == 2 else b"")
        for i in range(3)
    )
    data = _raw(gateways[0], requests)
    paths = [json.loads(part.split(b"\r\n\r\n", 1)[1])["path"] for part in _responses(data)]
    assert paths == ["/headers/p0", "/headers/p1", "/headers/p2"]


def _responses(data: bytes) -> list[bytes]:
    """Split concatenated responses with Content-Length bodies."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        out.append(head + b"\r\n\r\n" + rest[:length])
        data = rest[length:]
    return out


def test_a_client_leaving_before_its_body_is_complete_breaks_nothing(gateways: tuple[str, str]) -> None:
    host, port = gateways[0].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /svc/web/headers/gone HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart")
    r = httpx.get(f"{gateways[0]}/svc/web/status/200", timeout=5)
    assert r.status_code == 200
