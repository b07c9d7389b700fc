"""Several worker processes per gateway instance (``GATEWAY_WORKERS``): the supervisor, each
worker's SO_REUSEPORT socket, and the peer links that let any worker answer for all."""

from __future__ import annotations

from .listen import reuse_port_socket
from .merge import merge_metrics
from .peers import Peers
from .settings import WORKERS_DIR_ENV, WorkerSettings, usable_cores, worker_index
from .supervisor import supervise

__all__ = [
    "WORKERS_DIR_ENV",
    "Peers",
    "WorkerSettings",
    "merge_metrics",
    "reuse_port_socket",
    "supervise",
    "usable_cores",
    "worker_index",
]
