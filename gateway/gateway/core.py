"""The gateway core: everything routes and extensions share, built once per app."""

from __future__ import annotations

import logging

from .balancing import Balancer
from .consul_client import ConsulClient
from .discovery import Discovery, RoutingTable
from .observability import GatewayMetrics, StatisticsStore
from .settings import GatewaySettings
from .upstream import Ejector, ServiceClient

__all__ = ["GatewayCore"]

log = logging.getLogger("gateway.core")


class GatewayCore:
    """Settings, discovery cache, balancer, upstream client, metrics and statistics.

    Extensions receive it in ``start(core)``: ``core.client.request(...)`` to call services,
    ``core.discovery.table`` / ``wait_for(...)`` to read or await the routing table,
    ``core.stats.observe(kind, key, seconds, error)`` and ``core.metrics.registry`` to
    record their own statistics and metrics.
    """

    def __init__(self, settings: GatewaySettings, *, discovery: Discovery | None = None) -> None:
        self.settings = settings
        self.metrics = GatewayMetrics()
        self.stats = StatisticsStore()
        # The one Consul client of this process (discovery, KV state, sessions).
        self.consul = ConsulClient(
            settings.consul.url, token=settings.consul_token, timeout=settings.consul_timeout
        )
        self.discovery = discovery or Discovery(
            self.consul,
            exclude=settings.excluded_services(),
            wait=settings.watch_wait,
            coalesce=settings.watch_coalesce,
            min_interval=settings.watch_min_interval,
            backoff_max=settings.watch_backoff_max,
            restart_grace=settings.restart_grace,
            route_warning=settings.gateway_route_warning,
        )
        self.balancer = Balancer(settings.gateway_balancer, seed=settings.balancer_seed)
        self.ejector = Ejector(settings.eject_failures, settings.eject_seconds, settings.eject_max_share)
        self.client = ServiceClient(
            lambda: self.discovery.table,
            self.balancer,
            self.ejector,
            timeout=settings.upstream_timeout,
            connect_timeout=settings.upstream_connect_timeout,
            attempts=settings.retry_attempts,
            deadline=settings.retry_deadline,
            retry_unanswered=settings.retry_unanswered,
            pool_size=settings.upstream_pool_size,
            metrics=self.metrics,
            stats=self.stats,
        )
        self.metrics.watch_table(self._table_gauges)
        self.discovery.subscribe(self._on_table)
        self.started = False

    @property
    def table(self) -> RoutingTable:
        return self.discovery.table

    def _table_gauges(self) -> tuple[float, int, int, bool]:
        t = self.discovery.table
        return self.discovery.age(), t.service_count, t.instance_count, self.discovery.healthy

    def _on_table(self, table: RoutingTable) -> None:
        # Forget ejection state of instances that are gone, so the dict cannot grow forever.
        self.ejector.forget({i.id for insts in table.services.values() for i in insts})

    async def start(self) -> None:
        await self.discovery.start()
        self.started = True

    async def stop(self) -> None:
        self.started = False
        await self.discovery.stop()
        await self.client.close()
