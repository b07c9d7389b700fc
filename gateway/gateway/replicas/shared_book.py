"""Process replicas every gateway instance can see: a record per replica in Consul KV.

A process replica is a child of the gateway process that launched it (its *owner*); only the
owner can signal it. So that every instance lists the same replicas and can remove them,
the owner keeps a record at ``<prefix>replicas/process/<stack>/<replica id>`` (written at
launch, deleted when the process is stopped). Another instance removes a replica by marking
its record ``remove_requested`` (CAS); the owner follows the prefix with a blocking query,
stops the process and deletes the record, which the requester waits for.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from ..consul_client import ConsulClient, ConsulError, KVEntry, PrefixWatch
from .errors import RemovalTimeout, ReplicaConflict, ReplicaError, ReplicaNotFound
from .types import ReplicaInfo

__all__ = ["SharedProcessBook"]

log = logging.getLogger("gateway.replicas.process")


class SharedProcessBook:
    def __init__(self, consul: ConsulClient, prefix: str, owner: str, *, wait: str = "30s") -> None:
        self.consul = consul
        self.prefix = prefix
        self.owner = owner
        self.wait = wait
        self._records: dict[str, tuple[int, dict[str, Any]]] = {}  # id -> (ModifyIndex, record)
        self._on_remove: Callable[[str], Awaitable[None]] | None = None
        self._removing: set[str] = set()
        self._watch: PrefixWatch | None = None

    async def start(self, on_remove: Callable[[str], Awaitable[None]]) -> None:
        """Follow the records; ``on_remove(replica_id)`` stops one of ours another instance wants gone."""
        self._on_remove = on_remove
        self._watch = PrefixWatch(self.consul.kv, self.prefix, self._on_entries, wait=self.wait)
        self._watch.start()
        await self._watch.wait_ready(5.0)

    async def stop(self) -> None:
        if self._watch is not None:
            await self._watch.stop()
            self._watch = None

    # ---------------------------------------------------------------- the owner's side
    async def publish(self, info: ReplicaInfo, pid: int) -> None:
        record = {**asdict(info), "pid": pid, "remove_requested": False}
        try:
            await self.consul.kv.put(self.prefix + info.id, record)
        except ConsulError as exc:  # the replica runs; only other instances will not see it
            log.warning("could not record replica %s in Consul: %s", info.name, exc)

    async def withdraw(self, replica_id: str) -> None:
        try:
            await self.consul.kv.delete(self.prefix + replica_id)
        except ConsulError as exc:
            log.warning("could not delete the record of replica %s: %s", replica_id, exc)

    # ---------------------------------------------------------------- everyone's side
    def others(self) -> list[ReplicaInfo]:
        """Replicas recorded by other owners (as last seen)."""
        return [_info(r) for _, r in self._records.values() if r.get("owner") != self.owner]

    def get(self, replica_id: str) -> ReplicaInfo | None:
        """Another owner's replica ``replica_id`` (id or name), as last seen."""
        found = self.find(replica_id)
        if found is None or found[1].get("owner") == self.owner:
            return None
        return _info(found[1])

    def find(self, replica_id: str) -> tuple[int, dict[str, Any]] | None:
        found = self._records.get(replica_id)
        if found is None:  # also accept the name, like Docker does
            found = next((v for v in self._records.values() if v[1].get("name") == replica_id), None)
        return found

    async def request_removal(self, replica_id: str, timeout: float) -> ReplicaInfo:
        """Ask the owner of ``replica_id`` to stop it; returns once its record is gone."""
        found = self.find(replica_id)
        if found is None:
            raise ReplicaNotFound(f"no replica of this stack has id {replica_id!r}")
        index, record = found
        key = self.prefix + str(record["id"])
        try:
            ok = await self.consul.kv.put(key, {**record, "remove_requested": True}, cas=index)
        except ConsulError as exc:
            raise ReplicaError(f"cannot ask the owner of {record['name']} to remove it: {exc}") from exc
        if not ok:
            current = self.find(str(record["id"]))
            if current is None:
                return _info(record)  # removed meanwhile
            if not current[1].get("remove_requested"):
                raise ReplicaConflict(f"replica {record['name']} changed meanwhile; retry")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while str(record["id"]) in self._records:
            left = deadline - loop.time()
            if left <= 0 or self._watch is None:
                raise RemovalTimeout(
                    f"the gateway that launched {record['name']} ({record.get('owner')}) did not remove it "
                    f"within {timeout:.0f}s"
                )
            await self._watch.wait_answer(left)
        return _info(record)

    def _on_entries(self, entries: tuple[KVEntry, ...]) -> None:
        records: dict[str, tuple[int, dict[str, Any]]] = {}
        for entry in entries:
            try:
                record = json.loads(entry.value)
                _info(record)
            except (ValueError, TypeError, KeyError):
                log.warning("skipping unreadable replica record %s", entry.key)
                continue
            records[str(record["id"])] = (entry.modify_index, record)
            if record.get("owner") == self.owner and record.get("remove_requested"):
                self._remove_soon(str(record["id"]))
        self._records = records

    def _remove_soon(self, replica_id: str) -> None:
        if replica_id in self._removing or self._on_remove is None:
            return
        self._removing.add(replica_id)
        on_remove = self._on_remove

        async def run() -> None:
            try:
                log.info("removing replica %s on request of another gateway instance", replica_id)
                await on_remove(replica_id)
            except Exception:
                log.exception("removing replica %s for another instance failed", replica_id)
            finally:
                self._removing.discard(replica_id)

        asyncio.get_running_loop().create_task(run(), name=f"replicas:remove:{replica_id}")


def _info(record: dict[str, Any]) -> ReplicaInfo:
    fields = ReplicaInfo.__dataclass_fields__
    return ReplicaInfo(**{k: v for k, v in record.items() if k in fields})
