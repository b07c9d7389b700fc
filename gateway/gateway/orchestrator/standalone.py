"""``StandaloneCaller``: the gateway's core, without its HTTP server, for orchestrators that
run in a plain Python process (an OPEA megaservice, a script, a notebook).

Nodes are called exactly as the gateway calls them: ``GatewayCore``'s discovery watchers (the
process's one Consul reader, at ``CONSUL_HTTP_ADDR``), its balancer, passive ejection and
connect-failure retry on another instance, over the one upstream HTTP client (TLS included).
Discovery starts on the first node called by name, in the running event loop, and that call
waits (up to ``ready_timeout``) for the first routing table; nodes given by address never
need Consul.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..core import GatewayCore
from ..settings import GatewaySettings
from .caller import NodeRequest, NodeResponse
from .core_caller import CoreNodeCaller
from .errors import NodeCallError

__all__ = ["StandaloneCaller"]

log = logging.getLogger("gateway.orchestrator")


class StandaloneCaller:
    def __init__(
        self,
        settings: GatewaySettings | None = None,
        *,
        consul_url: str | None = None,
        ready_timeout: float = 10.0,
    ) -> None:
        if settings is None:
            # Not the gateway itself: a service named "gateway" is a node like any other.
            overrides: dict[str, Any] = {"service_register": False, "gateway_route_to_self": True}
            if consul_url is not None:
                overrides["consul_http_addr"] = consul_url
            settings = GatewaySettings(**overrides)
        self.settings = settings
        self.ready_timeout = ready_timeout
        self.core: GatewayCore | None = None
        self._inner: CoreNodeCaller | None = None
        self._starting: asyncio.Lock | None = None

    def _caller(self) -> CoreNodeCaller:
        if self._inner is None:
            self.core = GatewayCore(self.settings)
            self._inner = CoreNodeCaller(self.core.client)
        return self._inner

    async def start(self) -> GatewayCore:
        """Start discovery (done on the first node called by name) and wait for a table."""
        self._caller()
        core = self.core
        assert core is not None
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if not core.started:
                await core.start()
                log.info("standalone orchestrator caller reading Consul at %s", self.settings.consul.url)
        if not await core.discovery.wait_ready(self.ready_timeout):
            raise NodeCallError(
                "no_instance",
                f"no routing table from Consul at {self.settings.consul.url} within {self.ready_timeout}s",
            )
        return core

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse:
        inner = self._caller()
        if request.host is None and not (self.core is not None and self.core.discovery.ready):
            await self.start()  # nodes given by address need no Consul
        return await inner.call(request, payload)

    async def aclose(self) -> None:
        core, self.core, self._inner = self.core, None, None
        if core is not None:
            await core.stop()  # stops discovery (if started) and closes the upstream client
