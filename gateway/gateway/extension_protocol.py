"""How subsystems (flows, replicas) plug into the gateway without touching its core.

``create_app`` builds the core (discovery cache, balancers, upstream client, metrics),
then for each extension includes its routers and calls ``start(core)``; on shutdown it
calls ``stop()`` in reverse order. ``routers()`` may also return plain Starlette routes (e.g.
the flows' one dispatch route): they are added to the app's router when the app is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from .core import GatewayCore

__all__ = ["GatewayExtension"]


class GatewayExtension(Protocol):
    name: str

    def routers(self) -> Sequence[APIRouter | BaseRoute]: ...

    async def start(self, core: GatewayCore) -> None: ...

    async def stop(self) -> None: ...
