"""Request heads are bounded (issue #10, items 2 and 4), checked over raw sockets against a
running gateway so the tests hold whatever HTTP server the gateway uses.

Too long a request line → 414, too large a head or too many fields → 431, before the
parser's buffers grow; a head not complete within ``HTTP_HEADER_TIMEOUT`` → 408 (a connection
that never sends a byte is closed); an idle keep-alive connection is closed after
``HTTP_KEEPALIVE_TIMEOUT``. Meanwhile other clients are served.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.helpers import start_gateway
from tests.support.processes import ServiceProcess

HEADER_TIMEOUT = 1.0
KEEPALIVE_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def gateway(module_consul_url: str) -> Iterator[ServiceProcess]:
    gw = start_gateway(
        module_consul_url,
        http_header_timeout=str(HEADER_TIMEOUT),
        http_keepalive_timeout=str(KEEPALIVE_TIMEOUT),
        http_max_request_line="8192",
        http_max_header_bytes="65536",
        http_max_headers="100",
    )
    yield gw
    gw.stop()


def _connect(gw: ServiceProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", gw.port), timeout=10)  # type: ignore[attr-defined]


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the gateway refused and closed before we were done: what we want


def _still_serves(gw: ServiceProcess) -> None:
    resp = httpx.get(f"{gw.url}/health", timeout=2)  # type: ignore[attr-defined]
    assert resp.status_code == 200


def test_long_request_line_is_414(gateway: ServiceProcess) -> None:
    with _connect(gateway) as sock:
        _send_quietly(sock, b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 414"), answer[:100]
    _still_serves(gateway)


def test_huge_header_line_is_431_before_it_is_all_sent(gateway: ServiceProcess) -> None:
    with _connect(gateway) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            for _ in range(256):  # up to 16 MiB; the gateway stops us long before
                sock.sendall(b"b" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert sent < 8 << 20
    _still_serves(gateway)


def test_too_many_header_fields_is_431(gateway: ServiceProcess) -> None:
    fields = b"".join(b"X-F%d: v\r\n" % i for i in range(150))
    with _connect(gateway) as sock:
        _send_quietly(sock, b"GET /health HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]


def test_ordinary_heads_pass(gateway: ServiceProcess) -> None:
    headers = {f"x-f{i}": "v" * 20 for i in range(60)} | {"cookie": "c" * 4000}
    resp = httpx.get(f"{gateway.url}/health?" + "q=1&" * 500, headers=headers, timeout=5)  # type: ignore[attr-defined]
    assert resp.status_code == 200


def test_silent_connection_is_closed_after_header_timeout(gateway: ServiceProcess) -> None:
    with _connect(gateway) as sock:
        started = time.monotonic()
        assert _read_all(sock) == b""
        waited = time.monotonic() - started
    assert HEADER_TIMEOUT * 0.8 <= waited < HEADER_TIMEOUT + 2.0, waited


def test_trickled_head_is_408_and_others_are_served(gateway: ServiceProcess) -> None:
    with _connect(gateway) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        answer = b""
        try:
            for _ in range(40):  # one byte every 0.1 s: never completes a header
                sock.sendall(b"X")
                _still_serves(gateway)
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_all(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert waited < HEADER_TIMEOUT + 2.0, waited


def test_idle_keepalive_connection_closed_after_keepalive_timeout(gateway: ServiceProcess) -> None:
    with _connect(gateway) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        _read_all(sock)
        waited = time.monotonic() - started
    assert waited < KEEPALIVE_TIMEOUT + 2.0, waited
