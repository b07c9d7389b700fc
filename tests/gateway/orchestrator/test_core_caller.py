"""orchestrator.core_caller: the core's typed upstream errors become node errors with the real instance."""

from __future__ import annotations

import pytest

from gateway.orchestrator import NodeRequest
from gateway.orchestrator.core_caller import _JSON_HEADERS, CoreNodeCaller, _encoded, _map, direct_target
from gateway.upstream.errors import NoHealthyInstance, UpstreamTimeout, UpstreamUnavailable


def test_no_instance_names_no_instance() -> None:
    err = _map(NoHealthyInstance("echo-service", "no healthy instance of service 'echo-service'"))
    assert err.kind == "no_instance"
    assert err.instance is None  # nothing was tried: no made-up address


def test_connect_failure_names_the_instance_tried() -> None:
    exc = UpstreamUnavailable(
        "echo", "cannot connect to 'echo' instance 10.0.0.7:81: refused", instance="10.0.0.7:81"
    )
    exc.attempts = 3
    err = _map(exc)
    assert (err.kind, err.instance, err.attempts) == ("unavailable", "10.0.0.7:81", 3)


def test_timeout_kind() -> None:
    err = _map(UpstreamTimeout("echo", "did not answer in time", instance="127.0.0.1:9"))
    assert (err.kind, err.instance) == ("timeout", "127.0.0.1:9")


def node(**kw: object) -> NodeRequest:
    return NodeRequest(node="n", service="n", endpoint=kw.pop("endpoint", "/x"), timeout=5, **kw)  # type: ignore[arg-type]


def test_direct_targets_http_https_and_base_urls() -> None:
    assert direct_target(node(host="127.0.0.1", port=8080)) == ("127.0.0.1", 8080, "/x", False)
    assert direct_target(node(host="127.0.0.1")) == ("127.0.0.1", 80, "/x", False)
    assert direct_target(node(host="svc.local", port=8443, protocol="https")) == (
        "svc.local",
        8443,
        "/x",
        True,
    )
    # OPEA's remote-endpoint form: api_key + a base URL as host (path prefix kept)
    base = node(host="https://api.example.com/v1", api_key="k", endpoint="/chat/completions")
    assert direct_target(base) == ("api.example.com", 443, "/v1/chat/completions", True)


def test_node_headers_and_api_key_replace_the_json_defaults_case_insensitively() -> None:
    assert dict(_JSON_HEADERS) == {
        b"content-type": b"application/json",
        b"accept": b"application/json, text/event-stream",
    }
    headers = _encoded({"Accept": "text/plain", "X-Token": "t"}, "k1")
    assert headers == (
        (b"content-type", b"application/json"),
        (b"accept", b"text/plain"),
        (b"x-token", b"t"),
        (b"authorization", b"Bearer k1"),
    )


def test_node_header_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        _encoded({"X-Evil": "a\r\nHost: other"}, None)


def test_core_caller_bounds_calls_by_the_node_timeout_itself() -> None:
    assert CoreNodeCaller.enforces_timeout is True
