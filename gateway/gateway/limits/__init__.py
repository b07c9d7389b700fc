"""Limits on what a client may send: request head size/count/time, buffered body size, JSON
depth, and a hop counter against loops.

Server-agnostic pieces (``HeadLimits``, ``HeadGuard``, ``limit_response``) are used by the HTTP
server protocol (``gateway.server``); body and JSON limits by the buffered routes.
"""

from .body import BodyLimitMiddleware
from .head import HeadGuard, HeadLimits, HeadRejected, limit_response
from .hops import HOP_HEADER, HopLimit, outgoing_hops
from .settings import LimitSettings

__all__ = [
    "HOP_HEADER",
    "BodyLimitMiddleware",
    "HeadGuard",
    "HeadLimits",
    "HeadRejected",
    "HopLimit",
    "LimitSettings",
    "limit_response",
    "outgoing_hops",
]
