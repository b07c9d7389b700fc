"""``ConsulClient``: the gateway's one way to Consul (catalog/health, KV) over one connection pool."""

from __future__ import annotations

from typing import Any

from .agent import AgentAPI
from .health import CatalogAPI
from .kv import KVStore
from .sessions import SessionsAPI
from .transport import ConsulTransport

__all__ = ["ConsulClient"]


class ConsulClient:
    """``client.catalog`` (services, health), ``client.kv`` (entries, CAS, locks),
    ``client.sessions`` (create, renew, destroy), ``client.agent`` (this gateway's registration).

    ``services`` / ``health_service`` are also offered directly: discovery's watchers
    take any object with those two methods (unit tests give them a fake).
    """

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 5.0) -> None:
        self.transport = ConsulTransport(base_url, token=token, timeout=timeout)
        self.catalog = CatalogAPI(self.transport)
        self.kv = KVStore(self.transport)
        self.agent = AgentAPI(self.transport)
        self.sessions = SessionsAPI(self.transport)

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    async def services(self, index: int, wait: str, wait_s: float) -> tuple[dict[str, list[str]], int]:
        return await self.catalog.services(index, wait, wait_s)

    async def health_service(
        self, name: str, index: int, wait: str, wait_s: float, *, passing: bool = True
    ) -> tuple[list[dict[str, Any]], int]:
        return await self.catalog.health_service(name, index, wait, wait_s, passing=passing)

    async def close(self) -> None:
        await self.transport.close()
