"""Cached rendering of catalog-backed responses.

The catalog view is a pure function of the reported index, so whole bodies are cached per
(query, index); health entries are additionally cached per instance so a change to one
instance of a 1,000-instance service re-renders one fragment, not a thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from ..agent import Agent
from ..jsonout import fragment, join_array
from ..model import PASSING, Service
from ..views import check_json, health_entry, service_node

__all__ = ["NodeMeta", "Renderer"]

_MAX_BODIES = 2048
_MAX_BYTES = 256 * 1024 * 1024  # bound the cache: distinct tag/filter combinations each hold a body
T = TypeVar("T")
NodeMeta = tuple[tuple[str, str], ...]  # node-meta=key:value filters


class Renderer:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._bodies: dict[Hashable, tuple[int, bytes]] = {}
        self._bytes = 0
        self._entries: dict[tuple[str, str], tuple[tuple[int, int, int], bytes, bool]] = {}

    def cached(self, key: Hashable, index: int) -> bytes | None:
        hit = self._bodies.get(key)
        return hit[1] if hit is not None and hit[0] == index else None

    def store(self, key: Hashable, index: int, body: bytes) -> bytes:
        old = self._bodies.get(key)
        if old is not None:
            self._bytes -= len(old[1])
        if len(self._bodies) >= _MAX_BODIES or self._bytes + len(body) > _MAX_BYTES:
            self._bodies.clear()  # rare (many distinct queries); the next reads simply re-render
            self._bytes = 0
        self._bodies[key] = (index, body)
        self._bytes += len(body)
        return body

    # -- health --------------------------------------------------------------------------------
    def _entry(self, svc: Service) -> tuple[bytes, bool]:
        """(pre-rendered entry, all checks passing) for one instance, cached by its versions."""
        cat = self.agent.catalog
        node = cat.node_of(svc)
        key = (node.name, svc.id)
        version = (svc.modify_index, cat.instance_version.get(key, 0), cat.node_version.get(node.name, 0))
        hit = self._entries.get(key)
        if hit is not None and hit[0] == version:
            return hit[1], hit[2]
        checks = cat.node_checks_of(node.name) + cat.checks_of_instance(svc)
        payload = [check_json(c, node.name, svc.tags if c.service_id else [], True) for c in checks]
        frag = fragment(health_entry(node, svc, payload))
        passing = all(c.cat_status == PASSING for c in checks)
        if len(self._entries) > 4 * max(len(cat.services) + len(cat.remote_services), 256):
            self._entries.clear()
        self._entries[key] = (version, frag, passing)
        return frag, passing

    def _select(self, name: str, tags: tuple[str, ...], node_meta: NodeMeta) -> list[Service]:
        cat = self.agent.catalog
        instances = cat.instances(name)
        if node_meta:
            instances = [s for s in instances if _meta_ok(cat.node_of(s).meta, node_meta)]
        if tags:
            instances = [s for s in instances if _has_tags(s, tags)]
        return instances

    def health_service(
        self, name: str, index: int, passing: bool, tags: tuple[str, ...], node_meta: NodeMeta
    ) -> bytes:
        key = ("health", name, passing, tags, node_meta)
        body = self.cached(key, index)
        if body is not None:
            return body
        entries = [self._entry(s) for s in self._select(name, tags, node_meta)]
        if passing:
            entries = _swap_filter(entries, lambda e: e[1])
        return self.store(key, index, join_array([e[0] for e in entries]))

    def health_of(self, instances: list[Service], passing: bool) -> bytes:
        """Health entries for an explicit instance list (connect queries); entries stay cached."""
        entries = [self._entry(s) for s in instances]
        if passing:
            entries = _swap_filter(entries, lambda e: e[1])
        return join_array([e[0] for e in entries])

    # -- catalog -------------------------------------------------------------------------------
    def catalog_service(self, name: str, index: int, tags: tuple[str, ...], node_meta: NodeMeta) -> bytes:
        key = ("catalog", name, tags, node_meta)
        body = self.cached(key, index)
        if body is not None:
            return body
        cat = self.agent.catalog
        frags = [fragment(service_node(cat.node_of(s), s)) for s in self._select(name, tags, node_meta)]
        return self.store(key, index, join_array(frags))


def _meta_ok(meta: dict[str, str], wanted: NodeMeta) -> bool:
    return all(meta.get(k) == v for k, v in wanted)


def _has_tags(svc: Service, wanted: tuple[str, ...]) -> bool:
    have = {t.lower() for t in svc.tags}
    return all(t in have for t in wanted)


def _swap_filter(items: list[T], keep: Callable[[T], bool]) -> list[T]:
    """Consul removes non-passing entries by swapping them with the tail (order may change)."""
    out = list(items)
    n = len(out)
    i = 0
    while i < n:
        if not keep(out[i]):
            out[i], out[n - 1] = out[n - 1], out[i]
            n -= 1
            continue
        i += 1
    return out[:n]
