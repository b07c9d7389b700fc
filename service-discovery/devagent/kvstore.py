"""The KV store with Consul's index semantics (ModifyIndex per key, table index with tombstones)."""

from __future__ import annotations

from collections.abc import Callable

from .model import KVEntry
from .watch import WatchHub

__all__ = ["KVStore"]


class KVStore:
    """Shares the catalog's index counter (``next_index``) like Consul's single Raft log."""

    def __init__(self, hub: WatchHub, next_index: Callable[[], int]) -> None:
        self.hub = hub
        self._next_index = next_index
        self.entries: dict[str, KVEntry] = {}
        self.tombstones: dict[str, int] = {}
        self.table_index = 0

    def _changed(self, keys: list[str], idx: int) -> None:
        self.table_index = idx
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
        idx = self._next_index()
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
        idx = self._next_index()
        del self.entries[key]
        self.tombstones[key] = idx
        self._changed([key], idx)
        return True

    def delete_tree(self, prefix: str) -> bool:
        keys = [k for k in self.entries if k.startswith(prefix)]
        if not keys:
            return True
        idx = self._next_index()
        for key in keys:
            del self.entries[key]
            self.tombstones[key] = idx
        self._changed(keys, idx)
        return True
