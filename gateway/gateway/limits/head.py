"""Bounds on a request head, checked while it arrives (before the parser's buffers grow).

``HeadGuard`` is plain bookkeeping per connection, independent of the HTTP server: the
server protocol tells it how many head bytes arrived, URL bytes and header fields seen, and
asks whether the head is overdue. It raises ``HeadRejected`` with the status to answer:
414 (request line too long), 431 (head too large or too many fields), 408 (too slow).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HeadGuard", "HeadLimits", "HeadRejected", "limit_response"]

_REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


@dataclass(frozen=True, slots=True)
class HeadLimits:
    max_request_line: int = 8192
    max_header_bytes: int = 65536
    max_headers: int = 100
    header_timeout: float = 10.0


class HeadRejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def limit_response(status: int, detail: str) -> bytes:
    """A complete ``connection: close`` JSON response for a refused head."""
    body = b'{"detail": "' + detail.encode("ascii", "replace") + b'"}'
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Bad Request")),
            b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        )
    )


class HeadGuard:
    """One connection's head bookkeeping. ``reading`` is True from the end of a request (or
    the accept) until the next head is complete; ``started`` is when that head's first byte
    (or the connection) arrived, ``None`` while idle between requests."""

    __slots__ = ("limits", "reading", "started", "head_bytes", "url_bytes", "headers")

    def __init__(self, limits: HeadLimits, now: float) -> None:
        self.limits = limits
        self.reading = True
        self.started: float | None = now
        self.head_bytes = 0
        self.url_bytes = 0
        self.headers = 0

    def received(self, nbytes: int, now: float) -> None:
        """Bytes arrived; call before parsing them."""
        if self.reading:
            if self.started is None:
                self.started = now
            self.head_bytes += nbytes

    def check_size(self) -> None:
        """After parsing a chunk: refuse a head still incomplete and already too large."""
        if self.reading and self.head_bytes > self.limits.max_header_bytes:
            if self.headers == 0 and self.url_bytes >= self.limits.max_request_line // 2:
                raise HeadRejected(414, "request line too long")
            raise HeadRejected(431, f"request head larger than {self.limits.max_header_bytes} bytes")

    def url(self, nbytes: int) -> None:
        self.url_bytes += nbytes
        if self.url_bytes > self.limits.max_request_line:
            raise HeadRejected(414, f"request target longer than {self.limits.max_request_line} bytes")

    def header(self) -> None:
        self.headers += 1
        if self.headers > self.limits.max_headers:
            raise HeadRejected(431, f"more than {self.limits.max_headers} header fields")

    def complete(self) -> None:
        """The head was parsed: the request runs; no head limits until it ends."""
        self.reading = False

    def next_request(self) -> None:
        """The request's body was read: the next bytes start a new head."""
        self.reading = True
        self.started = None
        self.head_bytes = self.url_bytes = self.headers = 0

    def overdue(self, now: float) -> float | None:
        """Seconds past the head deadline (>= 0) or None when no head is being awaited; a
        negative value is the time left."""
        if not self.reading or self.started is None:
            return None
        return now - (self.started + self.limits.header_timeout)
