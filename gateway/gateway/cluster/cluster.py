"""``Cluster``: this process's membership in the set of gateway processes sharing one Consul.

It owns the process's Consul session, the leader election and the shared-state prefix.
The core builds one and exposes ``core.cluster`` and ``core.leadership``; features keep
their shared state under ``cluster.key("<feature>", ...)`` through ``core.consul.kv``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..consul_client import ConsulClient
from .identity import Identity
from .leadership import Leadership
from .members import MemberPublisher
from .session import SessionKeeper
from .settings import ClusterSettings

__all__ = ["Cluster"]

log = logging.getLogger("gateway.cluster")


class Cluster:
    def __init__(
        self,
        consul: ConsulClient,
        settings: ClusterSettings,
        identity: Identity,
        *,
        status: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        self.consul = consul
        self.settings = settings
        self.identity = identity
        self.keeper: SessionKeeper | None = None
        if settings.gateway_leader_election:
            self.keeper = SessionKeeper(
                consul,
                f"gateway {identity.member}",
                ttl=settings.leader_ttl_s,
                lock_delay=settings.lock_delay_s,
                retry=settings.gateway_leader_retry,
            )
        self.leadership = Leadership(
            consul,
            self.keeper,
            identity,
            key=settings.key("leader"),
            retry=settings.gateway_leader_retry,
            wait=settings.leader_ttl_s,
        )
        self.publisher: MemberPublisher | None = None
        if self.keeper is not None:
            self.publisher = MemberPublisher(
                consul,
                self.keeper,
                identity,
                prefix=self.members_prefix,
                status=lambda: {**status(), "is_leader": self.leadership.is_leader},
                interval=settings.gateway_publish_interval,
            )
            self.leadership.subscribe(lambda _leading: self.publisher.poke() if self.publisher else None)

    @property
    def prefix(self) -> str:
        return self.settings.gateway_kv_prefix

    @property
    def members_prefix(self) -> str:
        """``<prefix>instances/``: one entry per gateway process (see ``MemberPublisher``)."""
        return self.settings.key("instances") + "/"

    def key(self, *parts: str) -> str:
        """The full KV key of shared state, e.g. ``key("flows", name)``."""
        return self.settings.key(*parts)

    async def start(self) -> None:
        await self.leadership.start()
        if self.publisher is not None:
            self.publisher.start()

    async def stop(self) -> None:
        if self.publisher is not None:
            await self.publisher.stop()
        await self.leadership.stop()
        if self.keeper is not None:
            await self.keeper.close()
