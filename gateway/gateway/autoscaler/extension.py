"""The autoscaler extension: its routes, the per-instance loops, the scale-from-zero hold."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException

from ..settings import GatewaySettings
from .activator import Activator
from .controller import Autoscaler
from .metrics import AutoscalerMetrics
from .routes import create_router
from .settings import AutoscalerSettings
from .store import AutoscalingStore, KVLike

if TYPE_CHECKING:
    from ..core import GatewayCore

__all__ = ["AutoscalerExtension"]

log = logging.getLogger("gateway.autoscaler")


class AutoscalerExtension:
    name = "autoscaler"

    def __init__(self, gateway_settings: GatewaySettings, settings: AutoscalerSettings | None = None) -> None:
        self.gateway_settings = gateway_settings
        self.settings = settings or AutoscalerSettings()
        self.autoscaler: Autoscaler | None = None
        self._core: GatewayCore | None = None

    def routers(self) -> Sequence[APIRouter]:
        return [create_router(self.get)] if self.settings.autoscaler_enabled else []

    def get(self) -> Autoscaler:
        if self.autoscaler is None:
            raise HTTPException(503, "autoscaler is not running (gateway starting or stopping)")
        return self.autoscaler

    async def start(self, core: GatewayCore) -> None:
        if not self.settings.autoscaler_enabled:
            return
        kv: KVLike = core.consul.kv
        keeper = core.cluster.keeper
        store = AutoscalingStore(kv, core.kv_prefix)
        self.autoscaler = Autoscaler(
            core,
            self.settings,
            store,
            core.leadership,
            core.cluster.identity.member,
            AutoscalerMetrics(core.metrics.registry),
            session=lambda: keeper.id if keeper is not None else None,
        )
        await self.autoscaler.start(watch_kv=core.consul.kv, while_leading=core.leadership.run_while_leading)
        core.capacity = Activator(self.autoscaler)
        self._core = core
        log.info("autoscaler on (%s, KV prefix %s)", core.cluster.identity.member, store.policies_prefix)

    async def stop(self) -> None:
        if self._core is not None:
            self._core.capacity = None
        autoscaler, self.autoscaler = self.autoscaler, None
        if autoscaler is not None:
            await autoscaler.stop()
