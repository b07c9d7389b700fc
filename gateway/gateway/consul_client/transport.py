"""One aiohttp session for every call the gateway makes to Consul's HTTP API.

Blocking queries (``index`` + ``wait``) hold a connection for up to ``wait``; the timeout of
such a call is stretched by that much so the client never gives up before Consul answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import ConsulRefused, ConsulUnavailable

__all__ = ["ConsulResponse", "ConsulTransport", "blocking_params"]


@dataclass(frozen=True, slots=True)
class ConsulResponse:
    status: int
    index: int  # X-Consul-Index (0 when absent)
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError as exc:
            raise ConsulUnavailable(f"unreadable JSON from Consul: {exc}") from exc


def blocking_params(index: int, wait: str | None) -> dict[str, str]:
    """``index``/``wait`` for a blocking query; none when ``index`` is 0 (answer at once)."""
    if index <= 0 or not wait:
        return {}
    return {"index": str(index), "wait": wait}


class ConsulTransport:
    """``request(method, path, ...)``: raises ``ConsulUnavailable`` / ``ConsulRefused`` on failure."""

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

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        json_body: Any = None,
        wait_s: float = 0.0,
        accept: tuple[int, ...] = (200,),
    ) -> ConsulResponse:
        """Send one call; statuses in ``accept`` are answers, other 4xx refusals, the rest outages."""
        # Consul may hold a blocking query up to wait + wait/16 (its jitter); allow that plus slack.
        timeout = aiohttp.ClientTimeout(total=wait_s * 1.1 + self.timeout, connect=self.timeout)
        data = json.dumps(json_body).encode() if json_body is not None else body
        try:
            async with self._http().request(
                method, self.base_url + path, params=params, data=data, timeout=timeout
            ) as resp:
                raw = await resp.read()
                status = resp.status
                raw_index = resp.headers.get("X-Consul-Index", "0")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ConsulUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if status not in accept:
            text = raw[:200].decode(errors="replace").strip()
            if 400 <= status < 500:
                raise ConsulRefused(f"{method} {path}: HTTP {status}: {text}", status)
            raise ConsulUnavailable(f"{method} {path}: HTTP {status}: {text}")
        try:
            index = int(raw_index)
        except ValueError as exc:
            raise ConsulUnavailable(f"{method} {path}: bad X-Consul-Index {raw_index!r}") from exc
        return ConsulResponse(status, index, raw)
