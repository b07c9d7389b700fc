"""Who acts: only the leader among the gateway instances launches and removes replicas."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Leadership", "SingleInstance"]


class Leadership(Protocol):
    @property
    def is_leader(self) -> bool: ...


class SingleInstance:
    """A lone gateway instance leads."""

    @property
    def is_leader(self) -> bool:
        return True
