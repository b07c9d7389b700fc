"""The generic reverse proxy ``/svc/{service}/{path}`` (raw ASGI hot path)."""

from __future__ import annotations

from .handler import DECLARED_ROUTE, PREFIX, ProxyMiddleware, declared_route, proxy_declared, proxy_request
from .headers import HOP_BY_HOP, forward_request_headers, forward_response_headers

__all__ = [
    "DECLARED_ROUTE",
    "HOP_BY_HOP",
    "PREFIX",
    "ProxyMiddleware",
    "declared_route",
    "forward_request_headers",
    "forward_response_headers",
    "proxy_declared",
    "proxy_request",
]
