"""Importing this module adds the replicas extension to ``gateway.app.DEFAULT_EXTENSIONS``."""

from __future__ import annotations

from ..app import DEFAULT_EXTENSIONS
from .extension import ReplicasExtension

__all__: list[str] = []

if ReplicasExtension not in DEFAULT_EXTENSIONS:
    DEFAULT_EXTENSIONS.append(ReplicasExtension)
