"""The replicas extension: plugs the replica manager and its REST routes into the gateway."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter

from ..settings import GatewaySettings
from .backend import ReplicaBackend
from .catalog import ModelCatalog, default_models_dir
from .control import ManagerControl
from .errors import ReplicaError, RuntimeUnavailable
from .manager import ReplicaManager
from .process_backend import ProcessBackend
from .routes import create_router
from .runtime import select_backend
from .settings import ReplicaSettings
from .shared_book import SharedProcessBook

if TYPE_CHECKING:
    from ..core import GatewayCore

__all__ = ["ReplicasExtension", "load_catalog"]

log = logging.getLogger("gateway.replicas")


def load_catalog(settings: ReplicaSettings) -> ModelCatalog:
    if settings.replica_models:
        return ModelCatalog(settings.replica_models)
    directory = settings.replica_models_dir or default_models_dir()
    catalog = (
        ModelCatalog.from_dir(directory) if directory is not None and directory.is_dir() else ModelCatalog([])
    )
    if not catalog:
        log.warning("no known models (looked in %s); set REPLICA_MODELS or REPLICA_MODELS_DIR", directory)
    return catalog


class ReplicasExtension:
    """Launch/list/remove/scale model replicas (``/api/models/...``)."""

    name = "replicas"

    def __init__(self, gateway_settings: GatewaySettings, settings: ReplicaSettings | None = None) -> None:
        self.gateway_settings = gateway_settings
        self.settings = settings or ReplicaSettings()
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.manager: ReplicaManager | None = None
        self.backend: ReplicaBackend | None = None
        self.unavailable = "gateway is starting"
        self._core: GatewayCore | None = None
        self._stop_janitor: Callable[[], None] | None = None

    def routers(self) -> Sequence[APIRouter]:
        return [create_router(self.get_manager)]

    def get_manager(self) -> ReplicaManager:
        if self.manager is None:
            raise RuntimeUnavailable(f"replica management unavailable: {self.unavailable}")
        return self.manager

    async def start(self, core: GatewayCore) -> None:
        try:
            self.backend = await select_backend(self.settings, self.owner)
        except ReplicaError as exc:
            # The gateway still routes; only replica management answers 503 with the reason.
            self.unavailable = exc.message
            log.error("replica management disabled: %s", exc.message)
            return
        gs = core.settings
        self.manager = ReplicaManager(
            self.backend,
            self.settings,
            load_catalog(self.settings),
            service_name=gs.model_service_name,
            consul_addr=self.settings.replica_consul_addr or gs.consul.url,
            consul_token=gs.consul_token,
            table=lambda: core.discovery.table,
            wait_for=core.discovery.wait_for,
        )
        if isinstance(self.backend, ProcessBackend):
            # Every gateway instance sees and can remove every process replica of the stack.
            book = SharedProcessBook(
                core.consul,
                core.cluster.key("replicas", "process", self.backend.stack) + "/",
                self.owner,
                wait=gs.watch_wait,
                # live gateway processes (session-held entries): a dead owner's records are stale
                members_prefix=core.cluster.members_prefix if core.cluster.keeper is not None else None,
            )
            await self.backend.share(book)
        core.replicas = ManagerControl(self.manager)  # for other features (the autoscaler)
        self._core = core
        if self.backend.kind == "docker":
            manager = self.manager
            self._stop_janitor = core.leadership.run_while_leading(
                "replicas:janitor", lambda: manager.sweep(lambda: core.discovery.wait_ready(60.0))
            )
        log.info("replica management on (%s runtime, stack %s)", self.backend.kind, self.backend.stack)

    async def stop(self) -> None:
        if self._stop_janitor is not None:
            self._stop_janitor()
            self._stop_janitor = None
        manager, backend = self.manager, self.backend
        self.manager, self.unavailable = None, "gateway is stopping"
        if self._core is not None:
            self._core.replicas = None
        if manager is not None and backend is not None:
            # Local processes always end with the gateway; containers only when configured.
            await manager.close(
                remove_owned=self.settings.replica_remove_on_stop or backend.kind == "process"
            )
        if backend is not None:
            await backend.close()
