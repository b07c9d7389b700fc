"""The generic reverse proxy ``/svc/{service}/{path}`` (raw ASGI hot path)."""

from __future__ import annotations

from .handler import PREFIX, ProxyMiddleware, proxy_request
from .headers import HOP_BY_HOP, forward_request_headers, forward_response_headers

__all__ = [
    "HOP_BY_HOP",
    "PREFIX",
    "ProxyMiddleware",
    "forward_request_headers",
    "forward_response_headers",
    "proxy_request",
]
