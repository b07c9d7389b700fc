"""Header rules of a proxy: hop-by-hop headers stay on their hop; forwarding headers are added."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["HOP_BY_HOP", "forward_request_headers", "forward_response_headers"]

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


def _connection_listed(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    listed: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            listed.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return listed


def forward_request_headers(
    headers: list[tuple[bytes, bytes]],
    *,
    client_ip: str | None,
    scheme: str,
    request_id: str,
) -> list[tuple[str, str]]:
    """Client headers minus hop-by-hop and Host, plus X-Forwarded-For/Proto/Host and X-Request-ID."""
    drop = HOP_BY_HOP | _connection_listed(headers)
    out: list[tuple[str, str]] = []
    host = ""
    xff = ""
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if name in drop:
            continue
        if name == b"host":
            host = raw_value.decode("latin-1")
            continue
        if name == b"x-forwarded-for":
            xff = raw_value.decode("latin-1")
            continue
        if name in (b"x-request-id", b"x-forwarded-proto", b"x-forwarded-host"):
            continue  # re-set below (the request id is the one the gateway logs)
        out.append((raw_name.decode("latin-1"), raw_value.decode("latin-1")))
    if client_ip:
        xff = f"{xff}, {client_ip}" if xff else client_ip
    if xff:
        out.append(("X-Forwarded-For", xff))
    out.append(("X-Forwarded-Proto", scheme))
    if host:
        out.append(("X-Forwarded-Host", host))
    out.append(("X-Request-ID", request_id))
    return out


def forward_response_headers(
    headers: Iterable[tuple[bytes, bytes]], *, keep_length: bool
) -> list[tuple[bytes, bytes]]:
    """Upstream response headers minus hop-by-hop (and Content-Length when re-framing)."""
    headers = list(headers)
    drop = HOP_BY_HOP | _connection_listed(headers)
    out = []
    for name, value in headers:
        low = name.lower()
        if low in drop or (low == b"content-length" and not keep_length):
            continue
        out.append((low, value))
    return out
