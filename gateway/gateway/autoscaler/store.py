"""Where the autoscaler's shared state lives in Consul KV (every gateway instance sees it).

    <prefix>autoscaling/<model>          the policy (JSON), written by PUT/DELETE
    <prefix>autoscaling-state/<model>    the leader's view: signal, decisions, launched replicas
    <prefix>autoscaling-load/<gateway>   one gateway instance's in-flight averages per model
    <prefix>autoscaling-drain/<id>       a replica (Consul service id) being drained

The KV calls go through the gateway's one Consul client (``core.consul.kv``); this module
only names keys and (de)serialises values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from .policy import AutoscalingPolicy

__all__ = ["AutoscalingStore", "KVEntryLike", "KVLike"]

log = logging.getLogger("gateway.autoscaler")


class KVEntryLike(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def value(self) -> bytes: ...


class KVLike(Protocol):
    async def get(self, key: str) -> tuple[KVEntryLike | None, int]: ...

    async def list(self, prefix: str) -> tuple[Sequence[KVEntryLike], int]: ...

    async def put(self, key: str, value: bytes | str | Any, *, acquire: str | None = None) -> bool: ...

    async def delete(self, key: str) -> bool: ...


def _json(entry: KVEntryLike) -> Any:
    try:
        return json.loads(entry.value)
    except ValueError:
        log.warning("ignoring %s: not JSON", entry.key)
        return None


class AutoscalingStore:
    def __init__(self, kv: KVLike, prefix: str) -> None:
        self.kv = kv
        self.policies_prefix = f"{prefix}autoscaling/"
        self.state_prefix = f"{prefix}autoscaling-state/"
        self.loads_prefix = f"{prefix}autoscaling-load/"
        self.drain_prefix = f"{prefix}autoscaling-drain/"

    # ------------------------------------------------------------------ policies
    async def put_policy(self, model: str, policy: AutoscalingPolicy) -> None:
        await self.kv.put(self.policies_prefix + model, policy.model_dump_json().encode())

    async def get_policy(self, model: str) -> AutoscalingPolicy | None:
        entry, _ = await self.kv.get(self.policies_prefix + model)
        return None if entry is None else self.parse_policy(entry)

    async def delete_policy(self, model: str) -> None:
        await self.kv.delete(self.policies_prefix + model)
        await self.kv.delete(self.state_prefix + model)

    async def policies(self) -> dict[str, AutoscalingPolicy]:
        entries, _ = await self.kv.list(self.policies_prefix)
        return self.parse_policies(entries)

    def parse_policies(self, entries: Sequence[KVEntryLike]) -> dict[str, AutoscalingPolicy]:
        found: dict[str, AutoscalingPolicy] = {}
        for entry in entries:
            model = entry.key[len(self.policies_prefix) :]
            policy = self.parse_policy(entry)
            if model and "/" not in model and policy is not None:
                found[model] = policy
        return found

    def parse_policy(self, entry: KVEntryLike) -> AutoscalingPolicy | None:
        data = _json(entry)
        try:
            return AutoscalingPolicy.model_validate(data)
        except ValueError as exc:
            log.warning("ignoring autoscaling policy %s: %s", entry.key, exc)
            return None

    # ------------------------------------------------------------------ leader's state
    async def put_state(self, model: str, state: dict[str, Any]) -> None:
        await self.kv.put(self.state_prefix + model, json.dumps(state).encode())

    async def get_state(self, model: str) -> dict[str, Any] | None:
        entry, _ = await self.kv.get(self.state_prefix + model)
        data = None if entry is None else _json(entry)
        return data if isinstance(data, dict) else None

    # ------------------------------------------------------------------ per-instance load
    async def publish_load(self, gateway_id: str, record: dict[str, Any], session: str | None = None) -> None:
        """With ``session`` the key is held by it: Consul deletes it when the process dies."""
        await self.kv.put(self.loads_prefix + gateway_id, json.dumps(record).encode(), acquire=session)

    async def withdraw_load(self, gateway_id: str) -> None:
        await self.kv.delete(self.loads_prefix + gateway_id)

    async def loads(self) -> dict[str, dict[str, Any]]:
        entries, _ = await self.kv.list(self.loads_prefix)
        found: dict[str, dict[str, Any]] = {}
        for entry in entries:
            data = _json(entry)
            if isinstance(data, dict):
                found[entry.key[len(self.loads_prefix) :]] = data
        return found

    # ------------------------------------------------------------------ draining
    async def mark_draining(self, instance_id: str) -> None:
        await self.kv.put(self.drain_prefix + instance_id, b"1")

    async def unmark_draining(self, instance_id: str) -> None:
        await self.kv.delete(self.drain_prefix + instance_id)

    async def draining(self) -> set[str]:
        entries, _ = await self.kv.list(self.drain_prefix)
        return self.parse_draining(entries)

    def parse_draining(self, entries: Sequence[KVEntryLike]) -> set[str]:
        return {e.key[len(self.drain_prefix) :] for e in entries if e.key != self.drain_prefix}
