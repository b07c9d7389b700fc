"""Who this gateway process is in the cluster: instance (address:port) and worker."""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["WORKER_ENV", "Identity"]

# Set by the worker supervisor for each child; absent (worker 0) in a single-process gateway.
WORKER_ENV = "GATEWAY_WORKER_INDEX"


@dataclass(frozen=True, slots=True)
class Identity:
    instance: str  # the instance's Consul service id (shared by all its workers)
    address: str
    port: int
    worker: int = 0
    pid: int = 0
    host: str = ""

    @classmethod
    def current(cls, instance: str, address: str, port: int) -> Identity:
        return cls(
            instance=instance,
            address=address,
            port=port,
            worker=int(os.environ.get(WORKER_ENV, "0") or 0),
            pid=os.getpid(),
            host=socket.gethostname(),
        )

    @property
    def member(self) -> str:
        """This worker's name in KV keys: ``<instance>/<worker>``."""
        return f"{self.instance}/{self.worker}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
