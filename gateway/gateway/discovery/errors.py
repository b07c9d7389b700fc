"""Errors of the discovery layer."""

from __future__ import annotations

__all__ = ["ConsulUnavailable", "DiscoveryError"]


class DiscoveryError(Exception):
    """Base class: something went wrong talking to Consul."""


class ConsulUnavailable(DiscoveryError):
    """Consul did not answer, or answered with an error status."""
