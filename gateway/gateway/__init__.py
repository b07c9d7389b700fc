"""gateway: the Consul-backed service-discovery gateway.

Public surface: ``create_app``, ``GatewaySettings``, ``GatewayCore``, ``GatewayExtension``
and ``DEFAULT_EXTENSIONS``; subpackages ``discovery``, ``balancing``, ``upstream``,
``observability``, ``proxy``, ``api``.
"""

from __future__ import annotations

from .app import DEFAULT_EXTENSIONS, ExtensionFactory, create_app
from .core import GatewayCore
from .extension import GatewayExtension
from .settings import GatewaySettings

__all__ = [
    "DEFAULT_EXTENSIONS",
    "ExtensionFactory",
    "GatewayCore",
    "GatewayExtension",
    "GatewaySettings",
    "create_app",
]
