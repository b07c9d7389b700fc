"""The few Consul reads discovery needs, as blocking queries over one aiohttp session.

Only the watchers call this; the request path never talks to Consul.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp

from .errors import ConsulUnavailable

__all__ = ["ConsulReader"]


class ConsulReader:
    """``GET /v1/catalog/services`` and ``GET /v1/health/service/<name>?passing`` with ``index``/``wait``."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {"X-Consul-Token": token} if token else {}
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No connection limit: every watcher holds one blocking query open for up to
            # ``wait``, so a cap would delay the watchers beyond it by a whole ``wait``.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                headers=self._headers,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, path: str, params: dict[str, str], wait_s: float) -> tuple[Any, int]:
        # Consul may hold a blocking query up to wait + wait/16 (its jitter); allow that plus slack.
        timeout = aiohttp.ClientTimeout(total=wait_s * 1.1 + self.timeout, connect=self.timeout)
        try:
            async with self._http().get(self.base_url + path, params=params, timeout=timeout) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise ConsulUnavailable(f"GET {path}: HTTP {resp.status}: {text[:200]}")
                raw_index = resp.headers.get("X-Consul-Index", "0")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ConsulUnavailable(f"GET {path}: {type(exc).__name__}: {exc}") from exc
        try:
            data = json.loads(text)
            index = int(raw_index)
        except ValueError as exc:
            raise ConsulUnavailable(f"GET {path}: unreadable answer: {exc}") from exc
        return data, index

    @staticmethod
    def _params(index: int, wait: str) -> dict[str, str]:
        return {"index": str(index), "wait": wait} if index > 0 else {}

    async def services(self, index: int, wait: str, wait_s: float) -> tuple[dict[str, list[str]], int]:
        """Catalog service names with their tags; blocks while ``index`` is current."""
        data, new_index = await self._get("/v1/catalog/services", self._params(index, wait), wait_s)
        if not isinstance(data, dict):
            raise ConsulUnavailable("catalog/services: expected an object")
        return {str(k): list(v or []) for k, v in data.items()}, new_index

    async def health_service(
        self, name: str, index: int, wait: str, wait_s: float
    ) -> tuple[list[dict[str, Any]], int]:
        """Passing entries of ``name``; blocks while ``index`` is current."""
        params = {"passing": "1", **self._params(index, wait)}
        data, new_index = await self._get(f"/v1/health/service/{quote(name, safe='')}", params, wait_s)
        if not isinstance(data, list):
            raise ConsulUnavailable(f"health/service/{name}: expected a list")
        return data, new_index
