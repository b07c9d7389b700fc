"""Helpers for the dev agent tests: real HTTP/TCP check targets on free loopback ports."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.support.processes import free_port

FAST_FLAGS = (
    "--immediate-first-check",
    "--check-reap-interval",
    "0.2s",
    "--deregister-min",
    "1s",
    "--check-update-interval",
    "0",
    "--session-ttl-min",
    "1s",
)


@dataclass
class TargetState:
    """What the target answers; tests mutate it while the agent keeps probing."""

    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    hits: int = 0
    redirects: dict[str, str] = field(default_factory=dict)  # path → Location (answered with 302)
    requests: list[dict[str, str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: TargetState

    def _answer(self) -> None:
        st = self.server.state  # type: ignore[attr-defined]
        st.hits += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        st.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "body": body.decode(),
                **{k.lower(): v for k, v in self.headers.items()},
            }
        )
        if st.delay:
            time.sleep(st.delay)
        try:
            if self.path in st.redirects:
                self.send_response(302)
                self.send_header("Location", st.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(st.status)
            self.send_header("Content-Length", str(len(st.body)))
            self.end_headers()
            self.wfile.write(st.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        return


@contextmanager
def http_target() -> Iterator[tuple[str, TargetState]]:
    """A real HTTP server on a free port; yields (base URL, mutable state)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.state = TargetState()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.state  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def tcp_listener() -> Iterator[int]:
    """A listening TCP socket on a free port (accepts connections via the backlog)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    return free_port()


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value, which is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout}s")


def check_status(url: str, check_id: str, view: str = "agent") -> tuple[str, str] | None:
    """(Status, Output) of a check in the agent view or the catalog (health) view."""
    if view == "agent":
        checks = httpx.get(f"{url}/v1/agent/checks").json()
        c = checks.get(check_id)
    else:
        c = next(
            (c for c in httpx.get(f"{url}/v1/health/state/any").json() if c["CheckID"] == check_id), None
        )
    return (c["Status"], c["Output"]) if c else None
