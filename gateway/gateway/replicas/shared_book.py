"""Process replicas every gateway instance can see: a record per replica in Consul KV.

A process replica is a child of the gateway process that launched it (its *owner*); only the
owner can signal it. So that every instance lists the same replicas and can remove them,
the owner keeps a record at ``<prefix>replicas/process/<stack>/<replica id>`` (written at
launch, deleted when the process is stopped). Another instance removes a replica by marking
its record ``remove_requested`` (CAS); the owner follows the prefix with a blocking query,
stops the process and deletes the record, which the requester waits for.

An owner that dies (crash, SIGKILL) takes its replicas with it (the process runtime sets
the parent-death signal), but its records stay. With the cluster's member entries (held by
each process's session, gone when it dies) the book tells live owners from dead ones: a dead
owner's records are not listed, and a request to remove one deletes the record at once.
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
    def __init__(
        self,
        consul: ConsulClient,
        prefix: str,
        owner: str,
        *,
        wait: str = "30s",
        members_prefix: str | None = None,
    ) -> None:
        self.consul = consul
        self.prefix = prefix
        self.owner = owner
        self.wait = wait
        self.members_prefix = members_prefix
        # (host, pid) of every live gateway process; None: liveness unknown (no member entries)
        self._live: set[tuple[str, int]] | None = None
        self._members: PrefixWatch | None = None
        self._records: dict[str, tuple[int, dict[str, Any]]] = {}  # id -> (ModifyIndex, record)
        self._on_remove: Callable[[str], Awaitable[None]] | None = None
        self._removing: set[str] = set()
        self._watch: PrefixWatch | None = None

    async def start(self, on_remove: Callable[[str], Awaitable[None]]) -> None:
        """Follow the records; ``on_remove(replica_id)`` stops one of ours another instance wants gone."""
        self._on_remove = on_remove
        self._watch = PrefixWatch(self.consul.kv, self.prefix, self._on_entries, wait=self.wait)
        self._watch.start()
        if self.members_prefix is not None:
            self._members = PrefixWatch(self.consul.kv, self.members_prefix, self._on_members, wait=self.wait)
            self._members.start()
        await self._watch.wait_ready(5.0)

    async def stop(self) -> None:
        for watch in (self._watch, self._members):
            if watch is not None:
                await watch.stop()
        self._watch = self._members = None

    def _on_members(self, entries: tuple[KVEntry, ...]) -> None:
        live: set[tuple[str, int]] = set()
        for entry in entries:
            try:
                member = json.loads(entry.value)
                live.add((str(member["host"]), int(member["pid"])))
            except (ValueError, TypeError, KeyError):
                continue
        # Until this process's own entry shows up, nobody can be judged dead (e.g. no sessions).
        self._live = live if _owner_key(self.owner) in live else None

    def alive(self, owner: str) -> bool:
        """False only when the member entries say the owner's process is gone."""
        return self._live is None or _owner_key(owner) in self._live

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
        return [
            _info(r)
            for _, r in self._records.values()
            if r.get("owner") != self.owner and self.alive(str(r.get("owner")))
        ]

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
        if not self.alive(str(record.get("owner"))):
            # Its owner died, and its process with it (parent-death signal): only the record is left.
            log.info(
                "replica %s: its gateway %s is gone; deleting the record", record["name"], record.get("owner")
            )
            await self.consul.kv.delete(key, cas=index)
            return _info(record)
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


def _owner_key(owner: str) -> tuple[str, int]:
    """``<host>-<pid>-<random>`` (the replicas extension's owner id) as ``(host, pid)``."""
    host, _, rest = owner.rpartition("-")[0].rpartition("-")
    try:
        return host, int(rest)
    except ValueError:
        return owner, -1


def _info(record: dict[str, Any]) -> ReplicaInfo:
    fields = ReplicaInfo.__dataclass_fields__
    return ReplicaInfo(**{k: v for k, v in record.items() if k in fields})
