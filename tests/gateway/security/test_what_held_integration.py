"""Regression tests for what held when the stack was attacked (issue #10): request-smuggling
probes are answered 400 before any upstream sees them; path tricks, Host tricks and excluded
services (``consul``, the gateway itself, percent-encoded) are refused; the management token
is compared in constant time. Raw sockets against the running gateway (server-agnostic)."""

from __future__ import annotations

import hmac
import socket
from typing import Any

import httpx
import pytest
from fastapi.security import HTTPAuthorizationCredentials

from gateway import security

from ..conftest import Stack

SMUGGLING = {
    "cl-and-te": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /svc/web/whoami HTTP/1.1\r\nHost: x\r\n\r\n",
    "te-not-chunked-last": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    "bad-chunk-size": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nabc\r\n0\r\n\r\n",
    "chunk-size-overflow": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"fffffffffffffffff1\r\na\r\n0\r\n\r\n",
    "obs-fold": b"GET /svc/web/whoami HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
    "two-content-lengths": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
    b"Content-Length: 2\r\n\r\nab",
    "space-before-colon": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\nab",
    "negative-length": b"POST /svc/web/upload HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "bare-cr": b"GET /svc/web/whoami HTTP/1.1\r\nHost: x\rX-B: 1\r\n\r\n",
    "nul-in-header": b"GET /svc/web/whoami HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
}


# Malformed *chunks* arrive after the head, when the proxy has already opened the streamed
# upstream request: the client gets 400 and the upstream's request is aborted unfinished
# (nothing is smuggled), but the upstream did see a head.
_AFTER_HEAD = {"bad-chunk-size", "chunk-size-overflow"}


def _raw(stack: Stack, data: bytes) -> bytes:
    host, port = stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and answer.startswith(b"HTTP/1.1 400"):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def _upstream_calls(stack: Stack, http: httpx.Client) -> int:
    stats = http.get(f"{stack.url}/v1/statistics", params={"kind": "service"}).json()
    web: dict[str, Any] = stats.get("service", {}).get("web") or {}
    return int(web.get("count", 0))


@pytest.mark.parametrize("probe", sorted(SMUGGLING))
def test_smuggling_probe_is_400_before_any_upstream(web_stack: Stack, http: httpx.Client, probe: str) -> None:
    before = _upstream_calls(web_stack, http)
    answer = _raw(web_stack, SMUGGLING[probe])
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1, answer  # no second (smuggled) answer
    if probe not in _AFTER_HEAD:
        assert _upstream_calls(web_stack, http) == before


@pytest.mark.parametrize(
    "path",
    [
        "/svc/consul/v1/agent/self",
        "/svc/%63onsul/v1/agent/self",  # percent-encoded "consul"
        "/svc/gateway/api/routes",
        "/svc/%67ateway/api/routes",
        "/svc/../consul/v1/kv/x",
        "/svc/%2e%2e/consul/v1/kv/x",
        "/svc/web%2f..%2f..%2fconsul/v1/kv/x",
    ],
)
def test_excluded_services_and_path_tricks_refused(web_stack: Stack, path: str) -> None:
    answer = _raw(web_stack, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status = int(answer[9:12])
    assert status in (400, 404, 503), answer[:300]
    assert b'"Config"' not in answer and b"NodeName" not in answer  # nothing of Consul's answer


@pytest.mark.parametrize("host", ["consul", "127.0.0.1:8500", "consul.service.consul", "localhost:8500"])
def test_host_header_does_not_route(web_stack: Stack, http: httpx.Client, host: str) -> None:
    resp = http.get(f"{web_stack.url}/v1/kv/secret", headers={"Host": host})
    assert resp.status_code == 404
    assert http.get(f"{web_stack.url}/v1/agent/self", headers={"Host": host}).status_code == 404


def test_management_token_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)

    class _Req:
        class app:  # noqa: N801 - mimics request.app.state
            class state:  # noqa: N801
                management = security.ManagementSettings(gateway_management_token="s3cret")

    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials="guess")
    with pytest.raises(Exception) as info:
        security.require_management_token(_Req(), creds)  # type: ignore[arg-type]
    assert getattr(info.value, "status_code", None) == 401
    assert calls == [(b"guess", b"s3cret")]
    security.require_management_token(
        _Req(),  # type: ignore[arg-type]
        HTTPAuthorizationCredentials(scheme="Bearer", credentials="s3cret"),
    )
