"""Replica lifecycle on top of a backend: launch and wait until routed, remove, scale, janitor.

A launch answers only once the new replica is passing in Consul *and* in the gateway's
routing table (the gateway's discovery only ever holds passing instances, so waiting on the
table covers both, without calling Consul per request). A replica not routed within the
launch timeout is removed and the caller gets a 504 saying why.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..discovery import Instance, RoutingTable
from .backend import LaunchSpec, ReplicaBackend
from .catalog import ModelCatalog
from .engine_values import model_slug
from .errors import LaunchFailed, LaunchTimeout, ReplicaLimit, UnknownModel
from .settings import ReplicaSettings
from .types import ReplicaInfo

__all__ = ["LaunchResult", "ReplicaManager", "WaitFor"]

log = logging.getLogger("gateway.replicas")


WaitFor = Callable[[Callable[[RoutingTable], bool], float | None], Awaitable[RoutingTable | None]]


@dataclass(frozen=True, slots=True)
class LaunchResult:
    replica: ReplicaInfo
    seconds: float


class ReplicaManager:
    def __init__(
        self,
        backend: ReplicaBackend,
        settings: ReplicaSettings,
        catalog: ModelCatalog,
        *,
        service_name: str,
        consul_addr: str,
        consul_token: str | None,
        table: Callable[[], RoutingTable],
        wait_for: WaitFor,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.catalog = catalog
        self.service_name = service_name
        self.consul_addr = consul_addr
        self.consul_token = consul_token
        self._table = table
        self._wait_for = wait_for
        self._locks: dict[str, asyncio.Lock] = {}
        self._janitor: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ queries
    def resolve(self, model: str) -> str:
        name = self.catalog.resolve(model)
        if name is None:
            known = ", ".join(self.catalog.names) or "none"
            raise UnknownModel(f"unknown model {model!r}; known models: {known}")
        return name

    def routed(self, replica: ReplicaInfo, table: RoutingTable | None = None) -> Instance | None:
        """The routing-table instance of ``replica`` (matched by Consul id, else address:port)."""
        table = table or self._table()
        for inst in table.instances(self.service_name):
            if inst.id == replica.name or (
                replica.hostport is not None and inst.hostport == replica.hostport
            ):
                return inst
        return None

    def health(self, replica: ReplicaInfo, table: RoutingTable | None = None) -> str:
        if self.routed(replica, table) is not None:
            return "passing"
        if not replica.alive:
            return "stopped"
        return "not_passing"

    async def instances(self, model: str) -> list[ReplicaInfo]:
        return await self.backend.list(self.resolve(model))

    def unmanaged(self, model: str, managed: list[ReplicaInfo]) -> list[Instance]:
        """Routed instances serving ``model`` (tag ``model:<name>``) that this stack did not
        launch: compose's replicas, or ones started by hand. Listed, never touched."""
        table = self._table()
        mine = {self.routed(r, table) for r in managed} - {None}
        tag = f"model:{model}"
        return [i for i in table.instances(self.service_name) if tag in i.tags and i not in mine]

    # ------------------------------------------------------------------ launch
    async def launch(self, model: str) -> LaunchResult:
        model = self.resolve(model)
        started = time.monotonic()
        lock = self._locks.setdefault(model, asyncio.Lock())
        # The cap check and the creation are atomic per model: a replica is counted once, by the
        # backend's own list, as soon as it exists. (A separate "pending" count double-counted
        # replicas created but not yet returned, and refused parallel launches up to the cap.)
        # Only the creation is serialised; waiting until routed runs in parallel.
        async with lock:
            running = [r for r in await self.backend.list(model) if r.alive]
            cap = self.settings.replica_max_per_model
            if len(running) >= cap:
                raise ReplicaLimit(
                    f"model {model!r} already has {len(running)} launched replica(s); "
                    f"the maximum is {cap} (REPLICA_MAX_PER_MODEL)"
                )
            replica = await self.backend.launch(self._spec(model))
        log.info("replica %s launched (%s), waiting until routed", replica.name, replica.id[:12])
        await self._wait_routed(replica, started)
        seconds = time.monotonic() - started
        log.info("replica %s of %s serving after %.2fs", replica.name, model, seconds)
        fresh = await self.backend.get(replica.id)
        return LaunchResult(fresh or replica, seconds)

    def _spec(self, model: str) -> LaunchSpec:
        name = f"{self.backend.stack}-gdp-{model_slug(model)}-{uuid.uuid4().hex[:8]}"
        return LaunchSpec(
            model=model,
            name=name,
            service_name=self.service_name,
            consul_addr=self.consul_addr,
            consul_token=self.consul_token,
            check_interval=self.settings.replica_check_interval,
        )

    async def _wait_routed(self, replica: ReplicaInfo, started: float) -> None:
        deadline = started + self.settings.replica_launch_timeout
        why = "it never became passing in Consul"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # Wake on table changes; every 0.5 s also look whether the replica died.
            table = await self._wait_for(lambda t: self.routed(replica, t) is not None, min(left, 0.5))
            if table is not None:
                return
            current = await self.backend.get(replica.id)
            if current is None:
                raise LaunchFailed(f"replica {replica.name} disappeared while starting")
            if not current.alive or current.restarts > 0:
                tail = await self.backend.logs(replica.id, 20)
                log.error("replica %s crashed while starting:\n%s", replica.name, tail)
                await self._discard(replica)
                code = f" with code {current.exit_code}" if current.exit_code is not None else ""
                raise LaunchFailed(
                    f"replica {replica.name} exited{code} while starting (restarts: {current.restarts}); "
                    "it was removed, see the gateway log for its output"
                )
            why = f"it is {current.status} but not passing in Consul / not in the routing table"
        tail = await self.backend.logs(replica.id, 20)
        log.error(
            "replica %s not routed after %.0fs:\n%s", replica.name, self.settings.replica_launch_timeout, tail
        )
        await self._discard(replica)
        raise LaunchTimeout(
            f"replica {replica.name} was not serving within {self.settings.replica_launch_timeout:g}s "
            f"(REPLICA_LAUNCH_TIMEOUT): {why}; it was removed"
        )

    async def _discard(self, replica: ReplicaInfo) -> None:
        try:
            await self.backend.remove(replica.id)
        except Exception:  # best effort: the janitor and cleanup scripts catch what remains
            log.exception("could not remove failed replica %s", replica.name)

    # ------------------------------------------------------------------ remove / scale
    async def remove(self, replica_id: str) -> ReplicaInfo:
        info = await self.backend.remove(replica_id)
        # Usually deregistered by its own SIGTERM handler already; wait briefly for the table.
        await self._wait_for(lambda t: self.routed(info, t) is None, 3.0)
        log.info("replica %s removed", info.name)
        return info

    async def scale(self, model: str, replicas: int) -> list[ReplicaInfo]:
        model = self.resolve(model)
        cap = self.settings.replica_max_per_model
        if replicas > cap:
            raise ReplicaLimit(
                f"replicas={replicas} exceeds the maximum of {cap} per model (REPLICA_MAX_PER_MODEL)"
            )
        current = [r for r in await self.backend.list(model) if r.alive]
        if len(current) < replicas:
            results = await asyncio.gather(
                *(self.launch(model) for _ in range(replicas - len(current))), return_exceptions=True
            )
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise errors[0]
        elif len(current) > replicas:
            newest_first = sorted(current, key=lambda r: r.created, reverse=True)
            await asyncio.gather(*(self.remove(r.id) for r in newest_first[: len(current) - replicas]))
        return await self.backend.list(model)

    # ------------------------------------------------------------------ janitor
    def start_janitor(self, discovery_ready: Callable[[], Awaitable[object]]) -> None:
        self._janitor = asyncio.create_task(self.sweep(discovery_ready), name="replicas:janitor")

    async def sweep(self, discovery_ready: Callable[[], Awaitable[object]]) -> None:
        """Report managed replicas not passing; remove those still not passing after the grace.

        Run by the cluster's leader only (``core.leadership.run_while_leading``), each time a
        process becomes leader: one sweeper for every gateway sharing the replicas."""
        try:
            await discovery_ready()
            suspects = [r for r in await self.backend.list() if self.routed(r) is None]
            if not suspects:
                return
            grace = self.settings.replica_unhealthy_grace
            for r in suspects:
                log.warning(
                    "managed replica %s (%s, %s) is not passing; removing it in %.0fs unless it recovers",
                    r.name,
                    r.model,
                    r.status,
                    grace,
                )
            await asyncio.sleep(grace)
            for r in suspects:
                current = await self.backend.get(r.id)
                if current is not None and self.routed(current) is None:
                    log.warning("removing managed replica %s: still not passing after %.0fs", r.name, grace)
                    await self._discard(current)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("replica janitor failed")

    async def close(self, remove_owned: bool) -> None:
        if self._janitor is not None:
            self._janitor.cancel()
            await asyncio.gather(self._janitor, return_exceptions=True)
        if remove_owned:
            owned = await self.backend.list()
            owner = getattr(self.backend, "owner", None)
            mine = [r for r in owned if _owned_by(r, owner)]
            if mine:
                log.info("removing %d replica(s) launched by this gateway", len(mine))
                await asyncio.gather(*(self._discard(r) for r in mine))


def _owned_by(replica: ReplicaInfo, owner: object) -> bool:
    return owner is None or replica.owner == owner
