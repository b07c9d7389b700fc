"""Limits on what a client may send: request head size/count/time, buffered body size, JSON depth.

Server-agnostic pieces (``HeadLimits``, ``HeadGuard``, ``limit_response``) are used by the HTTP
server protocol (``gateway.server``); body and JSON limits by the buffered routes.
"""

from .body import BodyLimitMiddleware
from .head import HeadGuard, HeadLimits, HeadRejected, limit_response
from .settings import LimitSettings

__all__ = [
    "BodyLimitMiddleware",
    "HeadGuard",
    "HeadLimits",
    "HeadRejected",
    "LimitSettings",
    "limit_response",
]
