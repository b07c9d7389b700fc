"""An in-process KV with the shape of ``consul_client.KVStore`` (unit tests, single instance)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["MemoryKV"]


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    value: bytes
    modify_index: int = 0


class MemoryKV:
    def __init__(self) -> None:
        self.data: dict[str, _Entry] = {}
        self.index = 1

    async def get(self, key: str) -> tuple[_Entry | None, int]:
        return self.data.get(key), self.index

    async def list(self, prefix: str) -> tuple[list[_Entry], int]:
        return sorted(
            (e for k, e in self.data.items() if k.startswith(prefix)), key=lambda e: e.key
        ), self.index

    async def put(self, key: str, value: bytes | str | Any, *, acquire: str | None = None) -> bool:
        if isinstance(value, str):
            value = value.encode()
        elif not isinstance(value, bytes):
            value = json.dumps(value).encode()
        self.index += 1
        self.data[key] = _Entry(key, value, self.index)
        return True

    async def delete(self, key: str) -> bool:
        if self.data.pop(key, None) is not None:
            self.index += 1
        return True
