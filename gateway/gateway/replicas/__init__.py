"""Model replicas the gateway launches, lists, removes and scales (Docker or local processes)."""

from __future__ import annotations

from .backend import LaunchSpec, ReplicaBackend
from .catalog import ModelCatalog
from .errors import (
    LaunchFailed,
    LaunchTimeout,
    ReplicaError,
    ReplicaLimit,
    ReplicaNotFound,
    RuntimeUnavailable,
    UnknownModel,
)
from .extension import ReplicasExtension
from .manager import LaunchResult, ReplicaManager
from .settings import ReplicaSettings
from .types import ReplicaInfo

__all__ = [
    "LaunchFailed",
    "LaunchResult",
    "LaunchSpec",
    "LaunchTimeout",
    "ModelCatalog",
    "ReplicaBackend",
    "ReplicaError",
    "ReplicaInfo",
    "ReplicaLimit",
    "ReplicaManager",
    "ReplicaNotFound",
    "ReplicaSettings",
    "ReplicasExtension",
    "RuntimeUnavailable",
    "UnknownModel",
]
