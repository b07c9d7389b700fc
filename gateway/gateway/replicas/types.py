"""What a backend reports about one replica."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReplicaInfo"]

# Swarm task states before "running": the task is on its way, not dead.
_SWARM_STARTING = frozenset(
    ("new", "allocated", "pending", "assigned", "accepted", "ready", "preparing", "starting")
)


@dataclass(frozen=True, slots=True)
class ReplicaInfo:
    """A replica as its runtime sees it; ``name`` is also its Consul service id."""

    id: str
    name: str
    model: str
    status: str  # runtime state: created | running | restarting | exited | ...
    image: str
    address: str | None
    port: int
    created: float  # unix seconds
    restarts: int = 0
    exit_code: int | None = None
    owner: str | None = None  # the gateway instance that launched it
    node: str | None = None  # swarm runtime: the node the task runs on

    @property
    def alive(self) -> bool:
        return self.status in ("created", "running", "restarting") or self.status in _SWARM_STARTING

    @property
    def hostport(self) -> str | None:
        return f"{self.address}:{self.port}" if self.address else None
