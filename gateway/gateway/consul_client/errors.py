"""Errors of the Consul client: unreachable (retry later) versus refused (a 4xx answer)."""

from __future__ import annotations

__all__ = ["ConsulError", "ConsulRefused", "ConsulUnavailable"]


class ConsulError(Exception):
    """Base class: a call to Consul did not give the answer asked for."""


class ConsulUnavailable(ConsulError):
    """Consul did not answer, answered a 5xx, or answered something unreadable: retry later."""


class ConsulRefused(ConsulError):
    """Consul answered 4xx (bad request, ACL denied, unknown session): retrying will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
