"""Upstream calls: the service client, its response type, ejection and typed errors."""

from __future__ import annotations

from .client import Body, HeaderInput, InstanceFilter, ServiceClient
from .ejection import Ejector
from .errors import NoHealthyInstance, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from .response import UpstreamResponse

__all__ = [
    "Body",
    "Ejector",
    "HeaderInput",
    "InstanceFilter",
    "NoHealthyInstance",
    "ServiceClient",
    "UpstreamError",
    "UpstreamResponse",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
