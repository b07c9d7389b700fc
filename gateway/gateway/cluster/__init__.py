"""The cluster layer: state every gateway process shares through Consul (KV under a prefix),
the process's session and the leader election that picks who runs singleton work."""

from __future__ import annotations

from .cluster import Cluster
from .identity import WORKER_ENV, Identity
from .leadership import Leadership, Singleton
from .session import SessionKeeper
from .settings import ClusterSettings

__all__ = ["WORKER_ENV", "Cluster", "ClusterSettings", "Identity", "Leadership", "SessionKeeper", "Singleton"]
