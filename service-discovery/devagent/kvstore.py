"""The KV store with Consul's index semantics (ModifyIndex per key, table index with tombstones).

Locks follow ``agent/consul/state/kvs.go`` (kvsLockTxn / kvsUnlockTxn) and the lock-delay check of
``agent/consul/kvs_endpoint.go`` (kvsPreApply): an acquire during a key's lock delay answers false.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .model import KVEntry
from .watch import WatchHub

__all__ = ["KVStore"]


@dataclass
class _Txn:
    """An open transaction: one index for all its writes, an undo log, keys to notify on commit."""

    table_index: int
    idx: int = 0
    undo: dict[str, tuple[KVEntry | None, int | None]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)


class KVStore:
    """Shares the catalog's index counter (``next_index``) like Consul's single Raft log."""

    def __init__(self, hub: WatchHub, next_index: Callable[[], int]) -> None:
        self.hub = hub
        self._next_index = next_index
        self.entries: dict[str, KVEntry] = {}
        self.tombstones: dict[str, int] = {}
        self.table_index = 0
        self.lock_delays: dict[str, float] = {}  # key → monotonic time its lock delay ends
        self.session_exists: Callable[[str], bool] = lambda _sid: False
        self._txn: _Txn | None = None

    # -- transactions (/v1/txn): all writes share one index and are undone together ------------
    def begin(self) -> None:
        self._txn = _Txn(self.table_index)

    def commit(self) -> None:
        txn, self._txn = self._txn, None
        if txn is not None and txn.keys:
            self._changed(sorted(txn.keys), txn.idx)

    def rollback(self) -> None:
        txn, self._txn = self._txn, None
        if txn is None:
            return
        for key, (entry, tombstone) in txn.undo.items():
            if entry is None:
                self.entries.pop(key, None)
            else:
                self.entries[key] = entry
            if tombstone is None:
                self.tombstones.pop(key, None)
            else:
                self.tombstones[key] = tombstone
        self.table_index = txn.table_index

    def _write_index(self) -> int:
        if self._txn is None:
            return self._next_index()
        if not self._txn.idx:
            self._txn.idx = self._next_index()
        return self._txn.idx

    def _touch(self, key: str) -> None:
        """Remember ``key``'s state before the open transaction first changes it."""
        if self._txn is not None and key not in self._txn.undo:
            entry = self.entries.get(key)
            self._txn.undo[key] = (dataclasses.replace(entry) if entry else None, self.tombstones.get(key))

    def _changed(self, keys: list[str], idx: int) -> None:
        self.table_index = idx
        if self._txn is not None:
            self._txn.keys.update(keys)
            return
        self.hub.notify(["kv"] + ["kv:" + k for k in keys])

    def get(self, key: str) -> KVEntry | None:
        return self.entries.get(key)

    def key_index(self, key: str) -> int:
        entry = self.entries.get(key)
        return max(entry.modify_index if entry else self.table_index, 1)

    def prefix_entries(self, prefix: str) -> list[KVEntry]:
        return [self.entries[k] for k in sorted(self.entries) if k.startswith(prefix)]

    def prefix_index(self, prefix: str) -> int:
        """Max ModifyIndex over live entries and tombstones under ``prefix``; table index if none."""
        best = 0
        for entry in self.entries.values():
            if entry.key.startswith(prefix):
                best = max(best, entry.modify_index)
        for key, idx in self.tombstones.items():
            if key.startswith(prefix):
                best = max(best, idx)
        return max(best or self.table_index, 1)

    def put(self, key: str, value: bytes, flags: int | None, cas: int | None) -> bool:
        existing = self.entries.get(key)
        if cas is not None:
            if cas == 0 and existing is not None:
                return False
            if cas != 0 and (existing is None or existing.modify_index != cas):
                return False
        idx = self._write_index()
        self._touch(key)
        if existing is None:
            self.entries[key] = KVEntry(key, value, flags or 0, idx, idx)
        else:
            existing.value = value
            existing.flags = flags if flags is not None else 0
            existing.modify_index = idx
        self.tombstones.pop(key, None)
        self._changed([key], idx)
        return True

    def delete(self, key: str, cas: int | None) -> bool:
        existing = self.entries.get(key)
        if cas is not None:
            if existing is None:
                return cas == 0
            if existing.modify_index != cas:
                return False
        if existing is None:
            return True
        idx = self._write_index()
        self._touch(key)
        del self.entries[key]
        self.tombstones[key] = idx
        self._changed([key], idx)
        return True

    def delete_tree(self, prefix: str) -> bool:
        keys = [k for k in self.entries if k.startswith(prefix)]
        if not keys:
            return True
        idx = self._write_index()
        for key in keys:
            self._touch(key)
            del self.entries[key]
            self.tombstones[key] = idx
        self._changed(keys, idx)
        return True

    # -- locks ---------------------------------------------------------------------------------
    def in_lock_delay(self, key: str) -> bool:
        until = self.lock_delays.get(key)
        if until is None:
            return False
        if until <= time.monotonic():
            del self.lock_delays[key]
            return False
        return True

    def lock(self, key: str, value: bytes, flags: int | None, session: str) -> bool:
        """``?acquire=``: set the value and take the lock unless another session holds it."""
        if self.in_lock_delay(key):
            return False
        if not session:
            raise ValueError("missing session")
        if not self.session_exists(session):
            raise ValueError(f'invalid session "{session}"')
        existing = self.entries.get(key)
        flags = flags or 0
        if existing is not None:
            if existing.session == session:
                if (existing.value, existing.flags) == (value, flags):
                    return True  # nothing changes: Consul skips the write (DirEntry.Equal)
                lock_index = existing.lock_index
            elif existing.session:
                return False
            else:
                lock_index = existing.lock_index + 1
        else:
            lock_index = 1
        idx = self._write_index()
        self._touch(key)
        if existing is None:
            existing = self.entries[key] = KVEntry(key, value, flags, idx, idx)
        existing.value, existing.flags, existing.modify_index = value, flags, idx
        existing.session, existing.lock_index = session, lock_index
        self.tombstones.pop(key, None)
        self._changed([key], idx)
        return True

    def unlock(self, key: str, value: bytes, flags: int | None, session: str) -> bool:
        """``?release=``: set the value and drop the lock if ``session`` holds it."""
        if not session:
            raise ValueError("missing session")
        existing = self.entries.get(key)
        if existing is None or existing.session != session:
            return False
        idx = self._write_index()
        self._touch(key)
        existing.value, existing.flags, existing.modify_index = value, flags or 0, idx
        existing.session = ""
        self._changed([key], idx)
        return True

    def invalidate_session(self, session: str, delete: bool, lock_delay_ns: int, idx: int) -> None:
        """Release (or delete) every key ``session`` holds and start each key's lock delay."""
        keys = sorted(k for k, e in self.entries.items() if e.session == session)
        if not keys:
            return
        now = time.monotonic()
        for stale in [k for k, t in self.lock_delays.items() if t <= now]:
            del self.lock_delays[stale]
        until = now + lock_delay_ns / 1e9
        for key in keys:
            if delete:
                del self.entries[key]
                self.tombstones[key] = idx
            else:
                entry = self.entries[key]
                entry.session = ""
                entry.modify_index = idx
            if lock_delay_ns > 0:
                self.lock_delays[key] = until
        self._changed(keys, idx)
