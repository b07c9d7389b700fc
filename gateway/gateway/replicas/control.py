"""The replica manager as the core's ``ReplicaControl`` (what other features may use of it)."""

from __future__ import annotations

from collections.abc import Sequence

from .manager import ReplicaManager
from .types import ReplicaInfo

__all__ = ["ManagerControl"]


class ManagerControl:
    def __init__(self, manager: ReplicaManager) -> None:
        self._manager = manager

    @property
    def kind(self) -> str:
        return self._manager.backend.kind

    @property
    def max_per_model(self) -> int:
        return self._manager.settings.replica_max_per_model

    def resolve_model(self, model: str) -> str | None:
        return self._manager.catalog.resolve(model)

    async def launch(self, model: str) -> ReplicaInfo:
        return (await self._manager.launch(model)).replica

    async def remove(self, replica_id: str) -> ReplicaInfo:
        return await self._manager.remove(replica_id)

    async def replicas(self, model: str) -> Sequence[ReplicaInfo]:
        return await self._manager.backend.list(model)
