"""Consul's KV store: typed entries, blocking reads of a key or a prefix, CAS writes, locks.

Consul answers ``true``/``false`` to writes: ``false`` means the CAS index did not match or
the lock is held by another session (or in its lock-delay). Those are ordinary answers
(``False`` here), not errors.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .errors import ConsulUnavailable
from .transport import ConsulTransport, blocking_params

__all__ = ["KVEntry", "KVStore"]


@dataclass(frozen=True, slots=True)
class KVEntry:
    key: str
    value: bytes
    flags: int = 0
    create_index: int = 0
    modify_index: int = 0
    lock_index: int = 0
    session: str | None = None  # the session holding the key's lock, if any

    @classmethod
    def from_json(cls, raw: Any) -> KVEntry:
        if not isinstance(raw, dict) or not isinstance(raw.get("Key"), str):
            raise ConsulUnavailable(f"unreadable KV entry: {str(raw)[:100]}")
        encoded = raw.get("Value")
        try:
            value = base64.b64decode(encoded, validate=True) if encoded else b""
        except (binascii.Error, TypeError) as exc:
            raise ConsulUnavailable(f"KV entry {raw['Key']}: value is not base64") from exc
        return cls(
            key=raw["Key"],
            value=value,
            flags=int(raw.get("Flags") or 0),
            create_index=int(raw.get("CreateIndex") or 0),
            modify_index=int(raw.get("ModifyIndex") or 0),
            lock_index=int(raw.get("LockIndex") or 0),
            session=raw.get("Session") or None,
        )

    def text(self) -> str:
        return self.value.decode()

    def json(self) -> Any:
        """The value parsed as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.value)


def _path(key: str) -> str:
    return "/v1/kv/" + quote(key.lstrip("/"), safe="/")


def _encode(value: bytes | str | Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


class KVStore:
    """``/v1/kv``: ``get``, ``list`` (recurse), ``put`` (cas/acquire/release), ``delete`` (cas)."""

    def __init__(self, transport: ConsulTransport) -> None:
        self._t = transport

    async def get(
        self, key: str, *, index: int = 0, wait: str | None = None, wait_s: float = 0.0
    ) -> tuple[KVEntry | None, int]:
        """The entry at ``key`` (None if absent) and the index to block on next."""
        resp = await self._t.request(
            "GET", _path(key), params=blocking_params(index, wait), wait_s=wait_s, accept=(200, 404)
        )
        if resp.status == 404:
            return None, resp.index
        entries = resp.json()
        if not isinstance(entries, list) or not entries:
            return None, resp.index
        return KVEntry.from_json(entries[0]), resp.index

    async def list(
        self, prefix: str, *, index: int = 0, wait: str | None = None, wait_s: float = 0.0
    ) -> tuple[list[KVEntry], int]:
        """Every entry under ``prefix`` (``?recurse``), sorted by key; blocks while ``index`` is current."""
        params = {"recurse": "true", **blocking_params(index, wait)}
        resp = await self._t.request("GET", _path(prefix), params=params, wait_s=wait_s, accept=(200, 404))
        if resp.status == 404:
            return [], resp.index
        raw = resp.json()
        if not isinstance(raw, list):
            raise ConsulUnavailable(f"KV {prefix}: expected a list")
        return sorted((KVEntry.from_json(e) for e in raw), key=lambda e: e.key), resp.index

    async def put(
        self,
        key: str,
        value: bytes | str | Any,
        *,
        cas: int | None = None,
        flags: int | None = None,
        acquire: str | None = None,
        release: str | None = None,
    ) -> bool:
        """Write ``value`` (bytes, text, or anything JSON-serialisable).

        ``cas=0`` creates only if absent, ``cas=N`` replaces only if ModifyIndex is still N;
        ``acquire``/``release`` take or give back the key's lock for a session. False when
        Consul refused the condition.
        """
        params: dict[str, str] = {}
        if cas is not None:
            params["cas"] = str(cas)
        if flags is not None:
            params["flags"] = str(flags)
        if acquire is not None:
            params["acquire"] = acquire
        if release is not None:
            params["release"] = release
        resp = await self._t.request("PUT", _path(key), params=params, body=_encode(value))
        return resp.json() is True

    async def delete(self, key: str, *, cas: int | None = None, recurse: bool = False) -> bool:
        """Remove ``key`` (or everything under it with ``recurse``); False when ``cas`` did not match."""
        params: dict[str, str] = {}
        if cas is not None:
            params["cas"] = str(cas)
        if recurse:
            params["recurse"] = "true"
        resp = await self._t.request("DELETE", _path(key), params=params)
        return resp.json() is True
