"""Replica errors; each carries the HTTP status the REST layer answers with."""

from __future__ import annotations

__all__ = [
    "LaunchFailed",
    "LaunchTimeout",
    "RemovalTimeout",
    "ReplicaConflict",
    "ReplicaError",
    "ReplicaLimit",
    "ReplicaNotFound",
    "RuntimeUnavailable",
    "UnknownModel",
]


class ReplicaError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownModel(ReplicaError):
    status_code = 404


class ReplicaNotFound(ReplicaError):
    """No replica managed by this gateway has that id (other containers are never touched)."""

    status_code = 404


class ReplicaLimit(ReplicaError):
    status_code = 409


class RuntimeUnavailable(ReplicaError):
    """The runtime cannot launch (engine unreachable, image or network missing)."""

    status_code = 503


class LaunchFailed(ReplicaError):
    """The replica exited while starting."""

    status_code = 502


class LaunchTimeout(ReplicaError):
    status_code = 504


class ReplicaConflict(ReplicaError):
    """The replica changed while the request was being handled (another gateway instance)."""

    status_code = 409


class RemovalTimeout(ReplicaError):
    """The gateway instance that launched a process replica did not stop it in time."""

    status_code = 504
