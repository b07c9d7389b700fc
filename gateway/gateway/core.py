"""The gateway core: everything routes and extensions share, built once per app."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import generate_latest

from servicekit import advertised_address

from .balancing import Balancer, Draining
from .capabilities import CapacityHold, ReplicaControl
from .cluster import Cluster, ClusterSettings, Identity, Leadership
from .consul_client import ConsulClient, KVEntry, PrefixWatch
from .discovery import Discovery, RoutingTable
from .observability import GatewayMetrics, StatisticsStore
from .observability.history import History
from .policy import POLICIES_DIR, PolicyError, parse_kv_policies
from .routing import Limits, RouteTable, RouteTableBuilder, seed_version_choice
from .settings import GatewaySettings
from .upstream import Ejector, ServiceClient
from .upstream.tls import upstream_tls_context
from .workers import Peers

__all__ = ["GatewayCore"]

log = logging.getLogger("gateway.core")


class GatewayCore:
    """Settings, discovery cache, balancer, upstream client, metrics and statistics.

    Extensions receive it in ``start(core)``: ``core.client.request(...)`` to call services,
    ``core.discovery.table`` / ``wait_for(...)`` to read or await the routing table,
    ``core.stats.observe(kind, key, seconds, error)`` and ``core.metrics.registry`` to
    record their own statistics and metrics. Shared state goes through ``core.consul.kv``
    under ``core.cluster.key(...)``; singleton work through
    ``core.leadership.run_while_leading(name, factory)``.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        discovery: Discovery | None = None,
        cluster: ClusterSettings | None = None,
    ) -> None:
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
            try_timeout=settings.upstream_try_timeout,
            connect_timeout=settings.upstream_connect_timeout,
            attempts=settings.retry_attempts,
            deadline=settings.retry_deadline,
            retry_unanswered=settings.retry_unanswered,
            pool_size=settings.upstream_pool_size,
            ssl_context=upstream_tls_context(
                verify=settings.upstream_tls_verify, ca_file=settings.upstream_ca_file
            ),
            metrics=self.metrics,
            stats=self.stats,
        )
        # Declared routes and traffic policies: rebuilt with every table swap (and KV policy
        # change), read by the request path. ``limits`` is this process's admission state.
        self.route_builder = RouteTableBuilder()
        if settings.balancer_seed is not None:
            seed_version_choice(settings.balancer_seed)
        self.routes = RouteTable()
        self.limits = Limits()
        self._kv_policies: Mapping[str, Mapping[str, Any]] = {}
        # Offered by features for others (see capabilities.py); None while the feature is off.
        self.replicas: ReplicaControl | None = None
        self.capacity: CapacityHold | None = None
        self._kv_errors: tuple[PolicyError, ...] = ()
        address = advertised_address(
            settings.service_advertise_address,
            settings.service_host,
            settings.consul.host,
            settings.consul.port,
        )
        self.identity = Identity.current(settings.instance_id(address), address, settings.service_port)
        self.cluster = Cluster(
            self.consul, cluster or ClusterSettings(), self.identity, status=self._member_status
        )
        # Operators' traffic policies: <GATEWAY_KV_PREFIX>policies/<service> (docs/traffic.md).
        self._policy_prefix = self.cluster.prefix + POLICIES_DIR
        self._policy_watch = PrefixWatch(
            self.consul.kv,
            self._policy_prefix,
            self._on_kv_policies,
            wait=settings.watch_wait,
            backoff_max=settings.watch_backoff_max,
        )
        self.metrics.watch_table(self._table_gauges)
        # What the dashboard charts: sampled here, so a page opened now shows the last 15 min.
        self.history = History(
            self.stats,
            lambda: self.discovery.table,
            interval=settings.dashboard_history_interval,
            registry=self.metrics.registry,
        )
        self.discovery.subscribe(self._on_table)
        # The other workers of this instance (GATEWAY_WORKERS > 1), None in a single process.
        self.peers = Peers.from_env(self._answer_peer)
        self.started = False

    @property
    def draining(self) -> Draining:
        """Instances the balancer leaves out (being removed; their in-flight requests finish)."""
        return self.balancer.draining

    @property
    def leadership(self) -> Leadership:
        """Whether this process leads the cluster; ``run_while_leading`` for singleton work."""
        return self.cluster.leadership

    @property
    def kv_prefix(self) -> str:
        return self.cluster.prefix

    @property
    def table(self) -> RoutingTable:
        return self.discovery.table

    def _table_gauges(self) -> tuple[float, int, int, bool]:
        t = self.discovery.table
        return self.discovery.age(), t.service_count, t.instance_count, self.discovery.healthy

    def _member_status(self) -> dict[str, object]:
        """What this process publishes about itself for ``GET /api/cluster``."""
        table = self.discovery.table
        return {
            "discovery": self.discovery.status()["discovery"],
            "table_index": table.index,
            "table_age_s": round(self.discovery.age(), 3),
            "table_built_s_ago": round(table.age(), 3),
            "services": table.service_count,
            "instances": table.instance_count,
        }

    async def _answer_peer(self, kind: str) -> bytes:
        """What a sibling worker asks for to answer for the whole instance."""
        if kind == "metrics":
            return generate_latest(self.metrics.registry)
        return json.dumps(
            {**self.stats.export(), "worker": self.identity.worker, "pid": self.identity.pid}
        ).encode()

    def _on_table(self, table: RoutingTable) -> None:
        if self.cluster.publisher is not None:
            self.cluster.publisher.poke()
        # Forget ejection state of instances that are gone, so the dict cannot grow forever.
        self.ejector.forget({i.id for insts in table.services.values() for i in insts})
        self._rebuild_routes()

    def _rebuild_routes(self) -> None:
        self.routes = self.route_builder.build(
            self.discovery.table.services, self._kv_policies, self._kv_errors
        )
        keep = set(self.routes.rules)
        keep.update(r.limit_key for r in self.routes.prefixes.routes if r.limited)
        self.limits.forget(keep)

    def set_reserved_segments(self, segments: frozenset[str]) -> None:
        """First path segments of the gateway's own routes (``api``, ``svc``, ...): declared
        routes under them are refused, and requests under them never reach a declared route."""
        self.route_builder.reserved = segments
        self.route_builder.forget()
        self._rebuild_routes()

    def _on_kv_policies(self, entries: tuple[KVEntry, ...]) -> None:
        """Operators' policies per service changed in Consul KV: rebuild the routes view."""
        policies, errors = parse_kv_policies(self._policy_prefix, entries)
        self._kv_policies, self._kv_errors = policies, tuple(errors)
        self._rebuild_routes()

    async def start(self) -> None:
        await self.discovery.start()
        self.history.start()
        self._policy_watch.start()
        await self.cluster.start()
        if self.peers is not None:
            await self.peers.start()
        self.started = True

    async def stop(self) -> None:
        self.started = False
        await self.history.stop()
        await self._policy_watch.stop()
        if self.peers is not None:
            await self.peers.stop()
        await self.cluster.stop()
        await self.discovery.stop()
        await self.client.close()
        await self.consul.close()
