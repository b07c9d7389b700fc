"""gateway.server: an idle keep-alive connection is closed after uvicorn's keep-alive time
(5 s by default) since its last response, not before and not never; a busy one stays open."""

from __future__ import annotations

import socket
import time

from tests.gateway.helpers import start_gateway

REQUEST = b"GET /health HTTP/1.1\r\nHost: gw\r\n\r\n"


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_idle_connection_closed_after_keepalive_time_since_last_response(consul_url: str) -> None:
    gateway = start_gateway(consul_url)
    try:
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=15) as sock:  # type: ignore[attr-defined]
            # Busy for longer than one keep-alive period: each response restarts the idle time.
            for _ in range(4):
                sock.sendall(REQUEST)
                assert _read_response(sock).startswith(b"HTTP/1.1 200")
                time.sleep(2.0)
            sock.sendall(REQUEST)
            assert _read_response(sock).startswith(b"HTTP/1.1 200")
            last = time.monotonic()
            assert sock.recv(1) == b""  # the server closes the idle connection
            idle = time.monotonic() - last
            assert 4.5 <= idle < 9.0, idle
    finally:
        gateway.stop()
