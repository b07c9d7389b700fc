"""The discovery cache: background blocking-query watchers feeding an immutable routing table.

One watcher follows ``/v1/catalog/services`` to learn which services exist; one watcher per
service follows ``/v1/health/service/<name>?passing`` (without ``?passing`` when warning
instances are routed: critical ones are then dropped here). Each answer replaces that service's
instance list; a rebuild (coalesced over ``watch_coalesce`` seconds) builds a new
``RoutingTable`` and swaps the reference. Requests only ever read ``discovery.table``.

Consul's client rules (blocking queries): the index sent is always >= 1, it is reset to 0 if
Consul's index goes backwards (the agent restarted), each loop is rate-limited by a token
bucket, errors back off exponentially with jitter, and ``wait`` is jittered per watcher so
watchers do not wake in lock-step. When Consul is unreachable the last table stays in use
and ``healthy`` turns false; the watchers keep retrying and resume by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from servicekit import parse_go_duration

from ..consul_client import Fetch, follow
from .instance import PASSING, WARNING, Instance
from .table import RoutingTable

__all__ = ["CatalogSource", "Discovery", "TableListener"]

log = logging.getLogger("gateway.discovery")

TableListener = Callable[[RoutingTable], None]

_CATALOG = "<catalog>"


class CatalogSource(Protocol):
    """What the watchers read: ``ConsulClient`` in the gateway, a fake in unit tests."""

    @property
    def base_url(self) -> str: ...

    async def services(self, index: int, wait: str, wait_s: float) -> tuple[dict[str, list[str]], int]: ...

    async def health_service(
        self, name: str, index: int, wait: str, wait_s: float, *, passing: bool = True
    ) -> tuple[list[dict[str, Any]], int]: ...

    async def close(self) -> None: ...


class Discovery:
    """Keeps ``table`` in step with Consul; see the module docstring."""

    def __init__(
        self,
        reader: CatalogSource,
        *,
        exclude: frozenset[str] = frozenset({"consul"}),
        wait: str = "30s",
        coalesce: float = 0.05,
        min_interval: float = 0.1,
        backoff_max: float = 2.0,
        restart_grace: float = 5.0,
        route_warning: bool = False,
    ) -> None:
        self.reader = reader
        self.exclude = exclude | {"consul"}
        self.wait = wait
        self.wait_s = parse_go_duration(wait)
        self.coalesce = coalesce
        self.min_interval = min_interval
        self.backoff_max = backoff_max
        self.restart_grace = restart_grace
        # Route instances whose worst check is "warning" too (weighted by Weights.Warning); off:
        # only passing ones, asked of Consul with ?passing.
        self.route_warning = route_warning

        self._table = RoutingTable()
        self._instances: dict[str, tuple[Instance, ...]] = {}
        self._indexes: dict[str, int] = {}
        self._names: frozenset[str] = frozenset()
        self._catalog_seen = False
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._catalog_task: asyncio.Task[None] | None = None
        self._rebuild_task: asyncio.Task[None] | None = None
        self._failing: set[str] = set()
        self._degraded_since: float | None = None
        self._last_error = ""
        self._grace_until = 0.0
        self._grace_table = RoutingTable()
        self._grace_timer: asyncio.TimerHandle | None = None
        self._stopped = False
        self._listeners: list[TableListener] = []
        self._changed = asyncio.Event()
        self._first = asyncio.Event()
        self.version = 0
        self.syncs = 0
        self.errors = 0

    # ---------------------------------------------------------------- public read side
    @property
    def table(self) -> RoutingTable:
        """The current routing table (immutable; swapped whole on change)."""
        return self._table

    @property
    def ready(self) -> bool:
        """True once a first complete table was built."""
        return self._first.is_set()

    @property
    def healthy(self) -> bool:
        """False while any watcher cannot reach Consul (the table is then last-known-good)."""
        return self.ready and not self._failing

    @property
    def last_error(self) -> str:
        return self._last_error

    def age(self) -> float:
        """Seconds the table may be stale: 0 while every watcher is in sync, else time since Consul
        was last reachable (or since start-up before the first table)."""
        if self._degraded_since is None:
            return 0.0
        return time.monotonic() - self._degraded_since

    def status(self) -> dict[str, Any]:
        """A summary for health endpoints and the dashboard."""
        return {
            "discovery": "ok" if self.healthy else ("starting" if not self.ready else "degraded"),
            "table_age_s": round(self.age(), 3),
            "table_built_s_ago": round(self._table.age(), 3),
            "table_index": self._table.index,
            "services": self._table.service_count,
            "instances": self._table.instance_count,
            "consul": self.reader.base_url,
            **({"consul_error": self._last_error} if self._failing else {}),
        }

    # ---------------------------------------------------------------- change notification
    def subscribe(self, listener: TableListener) -> Callable[[], None]:
        """Call ``listener(table)`` after every swap; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def wait_changed(self, timeout: float | None = None) -> bool:
        """Wait for the next table swap; False on timeout."""
        event = self._changed
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True

    async def wait_for(
        self, predicate: Callable[[RoutingTable], bool], timeout: float | None = None
    ) -> RoutingTable | None:
        """Wait until ``predicate(table)`` holds (checked now and after every swap); None on timeout.

        E.g. ``await discovery.wait_for(lambda t: any(i.id == new_id for i in t.instances(svc)), 30)``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            table = self._table
            if predicate(table):
                return table
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            await self.wait_changed(left)

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self._first.wait()
        except TimeoutError:
            return False
        return True

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        if self._catalog_task is None:
            self._degraded_since = time.monotonic()
            self._catalog_task = asyncio.create_task(self._watch_catalog(), name="discovery:catalog")

    async def stop(self) -> None:
        self._stopped = True
        if self._grace_timer is not None:
            self._grace_timer.cancel()
        tasks = [t for t in (self._catalog_task, self._rebuild_task, *self._watchers.values()) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._catalog_task = None
        self._rebuild_task = None
        self._watchers.clear()
        await self.reader.close()

    # ---------------------------------------------------------------- watchers
    async def _loop(self, key: str, fetch: Fetch[Any], on_result: Callable[[Any, bool], None]) -> None:
        """One blocking-query loop (Consul's client rules live in ``consul_client.follow``)."""

        def handle(data: Any, index: int, went_back: bool) -> None:
            self._indexes[key] = index
            self._mark_success(key)
            on_result(data, went_back)

        await follow(
            fetch,
            handle,
            lambda error: self._mark_failure(key, error),
            wait_s=self.wait_s,
            min_interval=self.min_interval,
            backoff_max=self.backoff_max,
        )

    async def _watch_catalog(self) -> None:
        await self._loop(_CATALOG, self.reader.services, self._on_catalog)

    def _on_catalog(self, data: dict[str, list[str]], went_back: bool) -> None:
        names = frozenset(n for n in data if n not in self.exclude)
        if went_back:
            self._start_grace("catalog index went backwards (Consul restarted)")
        self._catalog_seen = True
        for gone in self._names - names:
            task = self._watchers.pop(gone, None)
            if task is not None:
                task.cancel()
            self._instances.pop(gone, None)
            self._indexes.pop(gone, None)
            self._failing.discard(gone)
        for new in names - self._names:
            self._watchers[new] = asyncio.create_task(self._watch_service(new), name=f"discovery:{new}")
        self._names = names
        self._schedule_rebuild()

    async def _watch_service(self, name: str) -> None:
        async def fetch(index: int, wait: str, wait_s: float) -> tuple[list[dict[str, Any]], int]:
            return await self.reader.health_service(name, index, wait, wait_s, passing=not self.route_warning)

        def on_result(entries: list[dict[str, Any]], went_back: bool) -> None:
            parsed = (Instance.from_health_entry(e) for e in entries)
            found = tuple(
                sorted((i for i in parsed if i is not None and self._routable(i)), key=lambda i: i.id)
            )
            if went_back:
                self._start_grace(f"index of {name} went backwards (Consul restarted)")
            if self._instances.get(name) != found:
                self._instances[name] = found
                self._schedule_rebuild()
            elif not self._first.is_set():
                self._schedule_rebuild()

        await self._loop(name, fetch, on_result)

    def _routable(self, inst: Instance) -> bool:
        """Passing instances always; warning ones when ``route_warning`` (and weighted above 0)."""
        if inst.status == PASSING:
            return True
        return self.route_warning and inst.status == WARNING and inst.weight > 0

    def _mark_failure(self, key: str, error: str) -> None:
        self.errors += 1
        if not self._failing:
            log.warning("Consul unreachable (%s): routing from the last table", error)
            self._degraded_since = time.monotonic()
        self._failing.add(key)
        self._last_error = error

    def _mark_success(self, key: str) -> None:
        self.syncs += 1
        if key in self._failing:
            self._failing.discard(key)
            if not self._failing:
                log.info("Consul reachable again; watchers resumed")
        if not self._failing and self._first.is_set():
            self._degraded_since = None

    def _start_grace(self, why: str) -> None:
        if self.restart_grace <= 0:
            return
        if time.monotonic() >= self._grace_until:
            log.warning(
                "%s: keeping last-known instances for %.1fs while services re-register",
                why,
                self.restart_grace,
            )
            self._grace_table = self._table
        self._grace_until = time.monotonic() + self.restart_grace
        # Re-check once the grace ends so the kept instances go away if they never came back.
        if self._grace_timer is not None:
            self._grace_timer.cancel()
        self._grace_timer = asyncio.get_running_loop().call_later(
            self.restart_grace + 0.01, self._schedule_rebuild
        )

    # ---------------------------------------------------------------- table rebuild
    def _schedule_rebuild(self) -> None:
        if self._stopped:
            return
        if self._rebuild_task is None or self._rebuild_task.done():
            self._rebuild_task = asyncio.create_task(self._rebuild_soon(), name="discovery:rebuild")

    async def _rebuild_soon(self) -> None:
        if self.coalesce > 0:
            await asyncio.sleep(self.coalesce)
        self.rebuild()

    def rebuild(self) -> None:
        """Build a table from the latest watcher answers and swap it in if it differs."""
        if not self._catalog_seen:
            return
        complete = all(name in self._instances for name in self._names)
        if not complete and not self._first.is_set():
            return  # wait for every service's first answer: no half table at start-up
        services = {n: self._instances[n] for n in self._names if self._instances.get(n)}
        if time.monotonic() < self._grace_until:
            for name, kept in self._grace_table.services.items():
                if not services.get(name) and name not in self.exclude:
                    services[name] = kept
        index = max(self._indexes.values(), default=0)
        new = RoutingTable.build(services, index)
        first = not self._first.is_set()
        if first:
            self._first.set()
            if not self._failing:
                self._degraded_since = None
        if not first and new.same_content(self._table):
            return
        self._swap(new)

    def _swap(self, new: RoutingTable) -> None:
        self._table = new
        self.version += 1
        log.info(
            "routing table v%d: %d services, %d instances",
            self.version,
            new.service_count,
            new.instance_count,
            extra={"services": {n: len(v) for n, v in new.services.items()}},
        )
        event, self._changed = self._changed, asyncio.Event()
        event.set()
        for listener in list(self._listeners):
            try:
                listener(new)
            except Exception:  # a listener must never break discovery
                log.exception("routing-table listener failed")

    def set_static(self, services: dict[str, tuple[Instance, ...]]) -> None:
        """Install a fixed table (tests, or a gateway run without Consul)."""
        self._catalog_seen = True
        self._names = frozenset(services)
        self._instances = dict(services)
        self._first.set()
        self._degraded_since = None
        self._swap(RoutingTable.build(services, 1))
