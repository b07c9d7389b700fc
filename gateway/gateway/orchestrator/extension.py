"""``FlowsExtension``: loads flow files at start-up, serves their endpoints and ``/api/flows``.

Flow files come from ``GATEWAY_FLOWS_DIR`` (default: the shipped ``gateway/flows/``); an
invalid file stops the gateway at start-up with an error naming the file and the node. They
are the defaults: flows created or changed through ``/api/flows`` live in Consul KV under
``<GATEWAY_KV_PREFIX>flows/`` and every gateway process serves them (``SharedFlowStore``). On
``start(core)`` every flow (and every ``ServiceOrchestrator`` built later in this process
without an explicit caller) calls nodes through the core's ``ServiceClient`` and reports to
the core's statistics store and Prometheus registry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from starlette.routing import BaseRoute

from .core_caller import CoreNodeCaller
from .defaults import set_default_caller, set_default_observer
from .dispatch import FlowEndpoints
from .host_policy import HostPolicy, set_host_policy
from .loader import LoadedFlow, load_dir
from .metrics import FlowMetrics
from .registry import FlowRegistry
from .routes import build_router
from .settings import FlowSettings
from .shared_store import SharedFlowStore

if TYPE_CHECKING:
    from ..core import GatewayCore

__all__ = ["FlowsExtension"]

log = logging.getLogger("gateway.orchestrator")

_metrics_by_registry: dict[int, FlowMetrics] = {}


def _metrics_for(core: GatewayCore) -> FlowMetrics:
    # One FlowMetrics per Prometheus registry: re-registering the same names would raise.
    key = id(core.metrics.registry)
    metrics = _metrics_by_registry.get(key)
    if metrics is None or metrics.registry is not core.metrics.registry:
        metrics = FlowMetrics(core.metrics.registry, core.stats)
        _metrics_by_registry[key] = metrics
    metrics.stats = core.stats
    return metrics


def _host_policy(gateway_settings: Any, flow_settings: FlowSettings) -> HostPolicy:
    consul = getattr(gateway_settings, "consul", None)
    own: list[tuple[str, int]] = []
    port = getattr(gateway_settings, "service_port", None)
    if port:
        own.append((getattr(gateway_settings, "service_host", "127.0.0.1"), port))
    return HostPolicy.build(
        flow_settings.gateway_flow_hosts,
        consul_url=getattr(consul, "url", None),
        own_endpoints=own,
    )


class FlowsExtension:
    name = "flows"

    def __init__(self, settings: Any = None, flow_settings: FlowSettings | None = None) -> None:
        self.settings = flow_settings or FlowSettings()
        # Before any flow is validated: which literal hosts nodes may call (SSRF guard).
        set_host_policy(_host_policy(settings, self.settings))
        self.registry = FlowRegistry()
        self.metrics: FlowMetrics | None = None
        self.caller: CoreNodeCaller | None = None
        defaults: list[LoadedFlow] = []
        if self.settings.gateway_flows_enabled:
            directory = self.settings.flows_dir
            if directory.is_dir():
                defaults = load_dir(directory, self.settings.gateway_flow_timeout)
            else:
                log.warning("flows directory %s does not exist; no flow files loaded", directory)
        self.store = SharedFlowStore(
            self.registry, defaults, default_timeout=self.settings.gateway_flow_timeout
        )

    def routers(self) -> Sequence[APIRouter | BaseRoute]:
        return [build_router(self.registry, self.settings, self.store), FlowEndpoints(self.registry)]

    async def start(self, core: GatewayCore) -> None:
        self.caller = CoreNodeCaller(core.client)
        self.metrics = _metrics_for(core)
        self.registry.bind_all(self.caller, self.metrics)
        set_default_caller(self.caller)
        set_default_observer(self.metrics)
        await self.store.start(core.consul, core.cluster.key("flows") + "/", wait=core.settings.watch_wait)
        log.info(
            "flows extension started with %d flow(s): %s",
            len(self.registry.names()),
            ", ".join(self.registry.names()) or "-",
        )

    async def stop(self) -> None:
        await self.store.stop()
        set_default_caller(None)
        set_default_observer(None)
        if self.caller is not None:
            await self.caller.aclose()
        self.registry.bind_all(None, None)
