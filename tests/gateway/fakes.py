"""A fake Consul reader for discovery unit tests (blocking semantics of §6.2 in memory)."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.discovery import ConsulUnavailable


def entry(
    service: str,
    sid: str,
    port: int,
    *,
    tags: list[str] | None = None,
    meta: dict[str, str] | None = None,
    address: str = "127.0.0.1",
) -> dict[str, Any]:
    return {
        "Node": {"Node": "n1", "Address": "127.0.0.1"},
        "Service": {
            "ID": sid,
            "Service": service,
            "Address": address,
            "Port": port,
            "Tags": tags or [],
            "Meta": meta or {},
            "Weights": {"Passing": 1, "Warning": 1},
        },
        "Checks": [],
    }


class FakeConsul:
    """Holds a catalog; queries with ``index`` >= the current index block until a change or ``wait``."""

    base_url = "fake://consul"

    def __init__(self) -> None:
        self.index = 10
        self.catalog: dict[str, list[dict[str, Any]]] = {"consul": []}
        self.down = False
        self.sent: list[tuple[str, int]] = []  # (what, index) of every query
        self._changed = asyncio.Condition()

    async def _block(self, index: int, wait_s: float) -> None:
        if self.down:
            raise ConsulUnavailable("fake consul is down")
        if index <= 0:
            return
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.index > index or self.down), wait_s
                )
            except TimeoutError:
                return
        if self.down:
            raise ConsulUnavailable("fake consul went down")

    async def services(self, index: int, wait: str, wait_s: float) -> tuple[dict[str, list[str]], int]:
        self.sent.append(("catalog", index))
        await self._block(index, wait_s)
        return {name: [] for name in self.catalog}, self.index

    async def health_service(
        self, name: str, index: int, wait: str, wait_s: float, *, passing: bool = True
    ) -> tuple[list[Any], int]:
        self.sent.append((name, index))
        await self._block(index, wait_s)
        return list(self.catalog.get(name, [])), self.index

    async def close(self) -> None:
        pass

    async def change(self, *, bump: int = 1, **services: list[dict[str, Any]]) -> None:
        self.catalog.update(services)
        self.index += bump
        async with self._changed:
            self._changed.notify_all()

    async def remove(self, name: str) -> None:
        self.catalog.pop(name, None)
        await self.change()

    async def restart(self, index: int = 3) -> None:
        """An agent restart: open queries fail, then the agent answers again with a lower index."""
        await self.set_down(True)
        await asyncio.sleep(0.02)
        self.index = index
        await self.set_down(False)

    async def set_down(self, down: bool) -> None:
        self.down = down
        async with self._changed:
            self._changed.notify_all()
