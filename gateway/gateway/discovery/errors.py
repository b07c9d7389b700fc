"""Errors of the discovery layer: Consul's, from the one Consul client."""

from __future__ import annotations

from ..consul_client.errors import ConsulError, ConsulUnavailable

__all__ = ["ConsulUnavailable", "DiscoveryError"]

# Discovery fails only because Consul does; the names stay for code that catches them.
DiscoveryError = ConsulError
