"""Proxy header forwarding rules (unit tests)."""

from __future__ import annotations

from gateway.proxy import forward_request_headers, forward_response_headers


def test_request_headers_forwarding_rules() -> None:
    headers = [
        (b"host", b"gw:8000"),
        (b"connection", b"keep-alive, x-secret"),
        (b"x-secret", b"s"),
        (b"keep-alive", b"timeout=5"),
        (b"transfer-encoding", b"chunked"),
        (b"te", b"trailers"),
        (b"expect", b"100-continue"),
        (b"x-forwarded-for", b"1.1.1.1"),
        (b"forwarded", b"for=6.6.6.6"),
        (b"x-real-ip", b"6.6.6.6"),
        (b"x-request-id", b"client-id"),
        (b"authorization", b"Bearer t"),
        (b"content-type", b"application/json"),
    ]
    out = dict(forward_request_headers(headers, client_ip="10.0.0.2", scheme="https", request_id="rid-1"))
    assert out == {
        b"authorization": b"Bearer t",
        b"content-type": b"application/json",
        b"x-forwarded-for": b"1.1.1.1, 10.0.0.2",
        b"x-real-ip": b"10.0.0.2",  # the client's own claim (and its Forwarded) never passes
        b"x-forwarded-proto": b"https",
        b"x-forwarded-host": b"gw:8000",
        b"x-request-id": b"rid-1",
    }


def test_response_headers_forwarding_rules() -> None:
    out, length = forward_response_headers(
        [
            (b"Content-Type", b"text/plain"),
            (b"Content-Length", b"12"),
            (b"Connection", b"close, X-Hop"),
            (b"X-Hop", b"1"),
            (b"Date", b"yesterday"),
            (b"Set-Cookie", b"a=1"),
            (b"Set-Cookie", b"b=2"),
        ]
    )
    assert out == [
        (b"content-type", b"text/plain"),
        (b"content-length", b"12"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]
    assert length == 12
