"""Header rules of a proxy: hop-by-hop headers stay on their hop; forwarding headers are added."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "HOP_BY_HOP",
    "REQUEST_DROP",
    "RESPONSE_DROP",
    "connection_tokens",
    "forward_request_headers",
    "forward_response_headers",
]

# RFC 9110 §7.6.1 plus the classic list (keep-alive, proxy-*, upgrade).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Request side: Host is re-set by the client for the upstream; Expect (100-continue) is between
# the client and the gateway's server; the forwarding headers are rebuilt below.
# traceparent/tracestate are the client's hop: the upstream client sends this hop's own
# (same trace, new parent id; observability/tracing.py).
REQUEST_DROP = HOP_BY_HOP | {
    b"host",
    b"expect",
    b"x-request-id",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    # Client-sent forwarding claims an upstream might trust: stripped; X-Real-IP is re-set
    # to the address the gateway saw. (X-Forwarded-For is appended to, as proxies do.)
    b"forwarded",
    b"x-real-ip",
    b"traceparent",
    b"tracestate",
}
# Response side: the gateway's server sets its own Date.
RESPONSE_DROP = HOP_BY_HOP | {b"date"}


def connection_tokens(value: bytes) -> set[bytes]:
    """The header names a ``Connection`` value lists, lower-case."""
    return {t.strip().lower() for t in value.split(b",") if t.strip()}


def _connection_listed(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    listed: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            listed |= connection_tokens(value)
    return listed


def forward_request_headers(
    headers: Sequence[tuple[bytes, bytes]],
    *,
    client_ip: str | None,
    scheme: str,
    request_id: str,
) -> list[tuple[bytes, bytes]]:
    """Client headers (ASGI: lower-case names) minus hop-by-hop, Host and Expect, plus
    X-Forwarded-For (appended), X-Forwarded-Proto, X-Forwarded-Host and X-Request-ID."""
    drop = REQUEST_DROP
    out: list[tuple[bytes, bytes]] = []
    host = b""
    xff = b""
    for name, value in headers:
        if name in drop:
            if name == b"host":
                host = value
            elif name == b"connection":
                drop = drop | {t.strip().lower() for t in value.split(b",") if t.strip()}
            continue
        if name == b"x-forwarded-for":
            xff = value
            continue
        out.append((name, value))
    if len(drop) != len(REQUEST_DROP):  # a Connection header listed more: drop those too
        out = [(n, v) for n, v in out if n not in drop]
    if client_ip:
        ip = client_ip.encode()
        xff = xff + b", " + ip if xff else ip
    if xff:
        out.append((b"x-forwarded-for", xff))
    if client_ip:
        out.append((b"x-real-ip", client_ip.encode()))
    out.append((b"x-forwarded-proto", scheme.encode()))
    if host:
        out.append((b"x-forwarded-host", host))
    out.append((b"x-request-id", request_id.encode()))
    return out


def forward_response_headers(
    headers: Iterable[tuple[bytes, bytes]],
) -> tuple[list[tuple[bytes, bytes]], int | None]:
    """Upstream response headers (lower-cased) minus hop-by-hop and Date; also returns the
    upstream's Content-Length (None if absent). The body is relayed unchanged, so a
    Content-Length stays valid."""
    out: list[tuple[bytes, bytes]] = []
    drop = RESPONSE_DROP
    length: int | None = None
    for name, value in headers:
        low = name.lower()
        if low in drop:
            if low == b"connection":
                drop = drop | {t.strip().lower() for t in value.split(b",") if t.strip()}
            continue
        if low == b"content-length":
            length = int(value) if value.isdigit() else None
        out.append((low, value))
    if len(drop) != len(RESPONSE_DROP):
        out = [(n, v) for n, v in out if n not in drop]
    return out, length
