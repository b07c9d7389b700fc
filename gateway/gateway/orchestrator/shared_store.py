"""``SharedFlowStore``: the flows every gateway process serves, kept in Consul KV.

``<prefix>flows/<name>`` holds a flow definition as JSON (the body of ``PUT /api/flows/{name}``).
The shipped flow files are the defaults, served while their key is absent; ``{"deleted": true}``
at a key hides a shipped flow everywhere. Every process follows the prefix with a blocking
query and rebuilds its registry from the defaults plus the entries, so a change made through
any process is served by all of them within one round trip.

Writes are compare-and-set on the version (ModifyIndex) the writer last saw: two concurrent
writers of one flow cannot both win; the loser gets ``FlowVersionConflict`` (409).

A value that does not validate (edited by hand) is skipped, reported in ``errors`` and logged
once; the flow of that name keeps its last good version (or its default).

Before ``start`` (an app built without a gateway core, unit tests) writes change only this
process's registry.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from ..consul_client import ConsulClient, ConsulError, KVEntry, PrefixWatch
from .errors import FlowDefinitionError
from .loader import LoadedFlow, build_flow
from .registry import FlowRegistry

__all__ = ["TOMBSTONE", "FlowStoreError", "FlowVersionConflict", "SharedFlowStore", "StoredFlowError"]

log = logging.getLogger("gateway.orchestrator")

TOMBSTONE: dict[str, Any] = {"deleted": True}


class FlowStoreError(Exception):
    """The shared store could not be written (Consul unreachable or refused)."""


class FlowVersionConflict(FlowStoreError):
    """The flow changed since the version the writer based its change on."""


@dataclass(frozen=True, slots=True)
class StoredFlowError:
    key: str
    name: str
    version: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "version": self.version, "error": self.error}


class SharedFlowStore:
    def __init__(self, registry: FlowRegistry, defaults: list[LoadedFlow], *, default_timeout: float) -> None:
        self.registry = registry
        self.defaults = {f.name: f for f in defaults}
        self.default_timeout = default_timeout
        self._parse_errors: tuple[StoredFlowError, ...] = ()
        self._conflicts: tuple[StoredFlowError, ...] = ()
        self.consul: ConsulClient | None = None
        self.prefix = ""
        self.watch: PrefixWatch | None = None
        self._versions: dict[str, int] = {}  # name -> ModifyIndex of its key (valid or not)
        self._built: dict[str, tuple[int, LoadedFlow]] = {}  # name -> (version, flow) last good
        self._reported: set[tuple[str, int]] = set()
        self._deleted: set[str] = set()
        self.registry.replace_all(list(self.defaults.values()))

    # ---------------------------------------------------------------- lifecycle
    async def start(
        self, consul: ConsulClient, prefix: str, *, wait: str = "30s", ready_timeout: float = 5.0
    ) -> None:
        """Follow ``prefix`` (e.g. ``consul-gateway/flows/``); waits up to ``ready_timeout`` for
        the first answer so a starting gateway serves the shared flows, not only the defaults."""
        self.consul, self.prefix = consul, prefix
        self.watch = PrefixWatch(consul.kv, prefix, self._on_entries, wait=wait)
        self.watch.start()
        if not await self.watch.wait_ready(ready_timeout):
            log.warning(
                "Consul did not answer for %s within %.0fs: serving the shipped flows", prefix, ready_timeout
            )

    async def stop(self) -> None:
        if self.watch is not None:
            await self.watch.stop()
            self.watch = None

    # ---------------------------------------------------------------- read side
    @property
    def errors(self) -> tuple[StoredFlowError, ...]:
        """Stored flows not served: invalid values, endpoint clashes."""
        return self._parse_errors + self._conflicts

    def version(self, name: str) -> int:
        """The ModifyIndex of ``<prefix><name>`` as last seen (0: no key)."""
        return self._versions.get(name, 0)

    def invalid(self, name: str) -> bool:
        """True when the stored value of ``name`` is skipped as invalid (DELETE may clear it)."""
        return any(e.name == name for e in self._parse_errors)

    def key(self, name: str) -> str:
        return self.prefix + name

    # ---------------------------------------------------------------- writes
    async def put(self, flow: LoadedFlow, definition: dict[str, Any], *, expected: int | None = None) -> int:
        """Store ``definition`` as flow ``flow.name`` if its version is still ``expected``
        (default: the version this process serves). Applies it here at once; returns the
        version it was based on."""
        base = self.version(flow.name) if expected is None else expected
        if self.consul is None:  # not started (an app without a gateway core): local only
            self.registry.put(flow)
            return base
        await self._write(flow.name, definition, base)
        await self._settle(flow.name, base, flow)
        return base

    async def delete(self, name: str, *, expected: int | None = None) -> None:
        """Remove flow ``name`` everywhere: its key goes, or becomes a tombstone when a shipped
        default of that name would otherwise come back."""
        base = self.version(name) if expected is None else expected
        if self.consul is None:
            self.registry.remove(name)
            return
        if name in self.defaults:
            await self._write(name, TOMBSTONE, base)
        else:
            consul = self._require()
            try:
                ok = await consul.kv.delete(self.key(name), cas=base)
            except ConsulError as exc:
                raise FlowStoreError(f"cannot remove flow {name!r} from Consul: {exc}") from exc
            if not ok:
                raise FlowVersionConflict(self._conflict_message(name, base))
        await self._settle(name, base, None)

    async def _write(self, name: str, value: dict[str, Any], base: int) -> None:
        consul = self._require()
        try:
            ok = await consul.kv.put(self.key(name), value, cas=base)
        except ConsulError as exc:
            raise FlowStoreError(f"cannot store flow {name!r} in Consul: {exc}") from exc
        if not ok:
            raise FlowVersionConflict(self._conflict_message(name, base))

    def _conflict_message(self, name: str, base: int) -> str:
        what = "created" if base == 0 else f"changed since version {base}"
        return f"flow {name!r} was {what} by another writer; read it again (GET /api/flows/{name}) and retry"

    def _require(self) -> ConsulClient:
        if self.consul is None:
            raise FlowStoreError("the shared flow store is not started")
        return self.consul

    async def _settle(self, name: str, base: int, flow: LoadedFlow | None, timeout: float = 2.0) -> None:
        """Answer a write only once this process serves it (read-your-writes): normally the
        watch reports it back within a round trip; if not, apply it here meanwhile."""
        watch = self.watch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while watch is not None and self.version(name) == base:
            left = deadline - loop.time()
            if left <= 0 or not await watch.wait_answer(left):
                break
        if self.version(name) != base:
            return
        log.warning(
            "the watch of %s has not reported the write of %s yet; serving it meanwhile", self.prefix, name
        )
        # Any version above ``base`` is newer than what we saw; the watch brings the real index.
        self._versions[name] = base + 1
        if flow is None:
            self._deleted.add(name)
            self._built.pop(name, None)
        else:
            self._deleted.discard(name)
            self._built[name] = (self._versions[name], flow)
        self._publish()

    # ---------------------------------------------------------------- the watch
    def _on_entries(self, entries: tuple[KVEntry, ...]) -> None:
        versions: dict[str, int] = {}
        deleted: set[str] = set()
        built: dict[str, tuple[int, LoadedFlow]] = {}
        errors: list[StoredFlowError] = []
        for entry in entries:
            name = entry.key[len(self.prefix) :]
            if not name or "/" in name:
                errors.append(
                    StoredFlowError(
                        entry.key, name, entry.modify_index, "not a flow key (<prefix>flows/<name>)"
                    )
                )
                continue
            versions[name] = entry.modify_index
            previous = self._built.get(name)
            if previous is not None and previous[0] == entry.modify_index:
                built[name] = previous
                continue
            try:
                flow = self._parse(entry, name)
            except FlowDefinitionError as exc:
                errors.append(StoredFlowError(entry.key, name, entry.modify_index, _describe(exc)))
                if previous is not None:
                    built[name] = previous  # keep serving the last good version
                continue
            if flow is None:
                deleted.add(name)
            else:
                built[name] = (entry.modify_index, flow)
        self._versions, self._deleted, self._built = versions, deleted, built
        self._parse_errors = tuple(errors)
        for err in errors:
            if (err.key, err.version) not in self._reported:
                self._reported.add((err.key, err.version))
                log.error("skipping flow %s (version %d) from Consul: %s", err.key, err.version, err.error)
        self._publish()

    def _parse(self, entry: KVEntry, name: str) -> LoadedFlow | None:
        source = f"consul:{entry.key}"
        try:
            data = json.loads(entry.value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FlowDefinitionError(f"not valid JSON: {exc}", source=source) from exc
        if data == TOMBSTONE:
            return None
        if isinstance(data, dict) and data.get("name", name) != name:
            raise FlowDefinitionError(
                f"name {data.get('name')!r} differs from the key's name {name!r}", source=source
            )
        return build_flow(data, source=source, default_name=name, default_timeout=self.default_timeout)

    def _publish(self) -> None:
        """Defaults, then stored flows on top; a flow whose endpoint another one serves is skipped."""
        flows = {n: f for n, f in self.defaults.items() if n not in self._deleted and n not in self._built}
        extra: list[StoredFlowError] = []
        endpoints = {f.endpoint: n for n, f in flows.items() if f.endpoint}
        for name in sorted(self._built):
            flow = self._built[name][1]
            owner = endpoints.get(flow.endpoint) if flow.endpoint else None
            if owner is not None and owner != name:
                extra.append(
                    StoredFlowError(
                        self.key(name),
                        name,
                        self._built[name][0],
                        f"endpoint {flow.endpoint} is already served by flow {owner!r}",
                    )
                )
                continue
            if flow.endpoint:
                endpoints[flow.endpoint] = name
            flows[name] = flow
        self._conflicts = tuple(extra)
        self.registry.replace_all(list(flows.values()))


def _describe(exc: FlowDefinitionError) -> str:
    data = exc.to_dict()
    node = f"node {data['node']}: " if data.get("node") else ""
    return f"{node}{data.get('message') or exc}"
