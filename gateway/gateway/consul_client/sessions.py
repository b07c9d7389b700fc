"""Consul sessions: the liveness contract behind locks (create, renew, destroy, info).

A session with a TTL must be renewed before the TTL runs out, or Consul invalidates it:
its locks are released (``Behavior=release``) or their keys deleted (``delete``), and
those keys cannot be acquired again for ``LockDelay``. Consul invalidates somewhere
between TTL and 2×TTL after the last renewal; never earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from .errors import ConsulUnavailable
from .transport import ConsulTransport

__all__ = ["SessionInfo", "SessionsAPI"]

Behavior = Literal["release", "delete"]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    name: str
    node: str
    ttl: str
    lock_delay_ns: int
    behavior: str

    @classmethod
    def from_json(cls, raw: Any) -> SessionInfo:
        if not isinstance(raw, dict) or not isinstance(raw.get("ID"), str):
            raise ConsulUnavailable(f"unreadable session: {str(raw)[:100]}")
        return cls(
            id=raw["ID"],
            name=str(raw.get("Name") or ""),
            node=str(raw.get("Node") or ""),
            ttl=str(raw.get("TTL") or ""),
            lock_delay_ns=int(raw.get("LockDelay") or 0),
            behavior=str(raw.get("Behavior") or "release"),
        )


def _seconds(value: float) -> str:
    return f"{int(round(value * 1000))}ms"


class SessionsAPI:
    def __init__(self, transport: ConsulTransport) -> None:
        self._t = transport

    async def create(
        self,
        name: str,
        *,
        ttl: float,
        lock_delay: float = 15.0,
        behavior: Behavior = "release",
        node_checks: list[str] | None = None,
        service_checks: list[dict[str, str]] | None = None,
    ) -> str:
        """A new session's id. Without checks (the default) only the TTL decides its life:
        the gateway may run far from the agent's node, whose ``serfHealth`` says nothing about it."""
        body: dict[str, Any] = {
            "Name": name,
            "TTL": f"{ttl:g}s",
            "LockDelay": _seconds(lock_delay),
            "Behavior": behavior,
            "NodeChecks": node_checks or [],
        }
        if service_checks:
            body["ServiceChecks"] = service_checks
        resp = await self._t.request("PUT", "/v1/session/create", json_body=body)
        data = resp.json()
        if not isinstance(data, dict) or not isinstance(data.get("ID"), str):
            raise ConsulUnavailable(f"session/create: unexpected answer {str(data)[:100]}")
        return str(data["ID"])

    async def renew(self, session_id: str) -> bool:
        """Reset the TTL; False when the session no longer exists (it was invalidated)."""
        resp = await self._t.request(
            "PUT", f"/v1/session/renew/{quote(session_id, safe='')}", accept=(200, 404)
        )
        if resp.status == 404:
            return False
        data = resp.json()
        return isinstance(data, list) and bool(data)

    async def destroy(self, session_id: str) -> bool:
        resp = await self._t.request("PUT", f"/v1/session/destroy/{quote(session_id, safe='')}")
        return resp.json() is True

    async def info(self, session_id: str) -> SessionInfo | None:
        resp = await self._t.request("GET", f"/v1/session/info/{quote(session_id, safe='')}")
        data = resp.json()
        if not data:
            return None
        if not isinstance(data, list):
            raise ConsulUnavailable("session/info: expected a list")
        return SessionInfo.from_json(data[0])

    async def list(self) -> list[SessionInfo]:
        resp = await self._t.request("GET", "/v1/session/list")
        data = resp.json() or []
        if not isinstance(data, list):
            raise ConsulUnavailable("session/list: expected a list")
        return [SessionInfo.from_json(s) for s in data]
