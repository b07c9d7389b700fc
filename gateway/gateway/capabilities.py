"""What features offer each other through the core, as small protocols.

A feature never imports another feature: the replicas feature puts a ``ReplicaControl`` on
``core.replicas`` when it starts, the autoscaler reads it from there; the autoscaler puts a
``CapacityHold`` on ``core.capacity`` and the predict route (core) uses it when a model has
no replica. Both slots are ``None`` when the feature is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["CapacityHold", "HoldOutcome", "ReplicaControl", "ReplicaRef"]


class ReplicaRef(Protocol):
    """One replica as its runtime reports it; ``name`` is also its Consul service id."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def created(self) -> float: ...

    @property
    def alive(self) -> bool: ...


class ReplicaControl(Protocol):
    """Launch and remove model replicas on whatever runtime is configured (process, docker, swarm)."""

    @property
    def kind(self) -> str:
        """The runtime's name."""
        ...

    @property
    def max_per_model(self) -> int:
        """REPLICA_MAX_PER_MODEL."""
        ...

    def resolve_model(self, model: str) -> str | None:
        """The canonical name of a known model, else None."""
        ...

    async def launch(self, model: str) -> ReplicaRef:
        """Start one replica; returns once it is passing and routed. Raises on failure."""
        ...

    async def remove(self, replica_id: str) -> ReplicaRef:
        """Stop (SIGTERM: it deregisters) and remove a replica this stack manages; returns the
        replica that went (Swarm picks which task of the service stops)."""
        ...

    async def replicas(self, model: str) -> Sequence[ReplicaRef]:
        """Replicas of ``model`` this stack manages (not, e.g., compose's own)."""
        ...


@dataclass(frozen=True, slots=True)
class HoldOutcome:
    """``ready``: an instance of the model is routed now, send the request again; otherwise
    answer 503 with ``reason`` and ``Retry-After: retry_after``."""

    ready: bool
    reason: str = ""
    retry_after: int = 1


class CapacityHold(Protocol):
    async def hold(self, model: str) -> HoldOutcome | None:
        """Wait (bounded) while a replica of ``model`` is launched for a request that found none;
        None when ``model`` is not scaled from zero here (the caller answers as usual)."""
        ...
