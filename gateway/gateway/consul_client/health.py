"""Catalog and health reads: which services exist and their passing instances (blocking)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .errors import ConsulUnavailable
from .transport import ConsulTransport, blocking_params

__all__ = ["CatalogAPI"]


class CatalogAPI:
    def __init__(self, transport: ConsulTransport) -> None:
        self._t = transport

    async def services(self, index: int, wait: str, wait_s: float) -> tuple[dict[str, list[str]], int]:
        """``GET /v1/catalog/services``: names with their tags; blocks while ``index`` is current."""
        resp = await self._t.request(
            "GET", "/v1/catalog/services", params=blocking_params(index, wait), wait_s=wait_s
        )
        data = resp.json()
        if not isinstance(data, dict):
            raise ConsulUnavailable("catalog/services: expected an object")
        return {str(k): list(v or []) for k, v in data.items()}, resp.index

    async def health_service(
        self, name: str, index: int, wait: str, wait_s: float, *, passing: bool = True
    ) -> tuple[list[dict[str, Any]], int]:
        """``GET /v1/health/service/<name>``: entries (passing only by default); blocking."""
        params = {**({"passing": "1"} if passing else {}), **blocking_params(index, wait)}
        resp = await self._t.request(
            "GET", f"/v1/health/service/{quote(name, safe='')}", params=params, wait_s=wait_s
        )
        data = resp.json()
        if not isinstance(data, list):
            raise ConsulUnavailable(f"health/service/{name}: expected a list")
        return data, resp.index
