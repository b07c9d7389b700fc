"""gateway: the Consul-backed service-discovery gateway.

Public surface: ``create_app``, ``GatewaySettings``, ``GatewayCore``, ``GatewayExtension``
and ``default_extensions``; subpackages ``discovery``, ``balancing``, ``upstream``,
``observability``, ``proxy``, ``api``.
"""

from __future__ import annotations

from .app import create_app
from .core import GatewayCore
from .extension_protocol import GatewayExtension
from .extensions import default_extensions
from .settings import GatewaySettings

__all__ = [
    "GatewayCore",
    "GatewayExtension",
    "GatewaySettings",
    "create_app",
    "default_extensions",
]
