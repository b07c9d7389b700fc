"""/v1/catalog/* (contract §5)."""

from __future__ import annotations

from typing import Any

from ...agent import Agent
from ...jsonout import dumps
from ...views import node_json, node_service, service_node
from ..blocking import block
from ..query import meta_headers, parse_query
from ..render import Renderer
from ..request import Request
from ..response import Response, raw_json
from .common import node_meta, node_meta_ok, require

__all__ = ["CatalogEndpoints"]


class CatalogEndpoints:
    def __init__(self, agent: Agent, renderer: Renderer) -> None:
        self.agent = agent
        self.renderer = renderer
        self.catalog = agent.catalog

    def _compile(self, req: Request) -> Any:
        if not req.get("filter"):
            return None
        from ...bexpr import compile_filter

        return compile_filter(req.get("filter"))

    async def services(self, req: Request, rest: str) -> Response:
        opts = parse_query(req, self.agent.config)
        match = self._compile(req)
        meta = node_meta(req)
        index = await block(self.agent.hub, opts, lambda: self.catalog.services_table, lambda: ["services"])
        key = ("services", meta, req.get("filter"))
        body = self.renderer.cached(key, index)
        if body is None:
            out: dict[str, list[str]] = {}
            for name in sorted(self.catalog.by_name):
                tags: list[str] = []
                seen: set[str] = set()
                matched = False
                for svc in self.catalog.instances(name):
                    node = self.catalog.node_of(svc)
                    if not node_meta_ok(req, node.meta):
                        continue
                    if match is not None and not match(service_node(node, svc)):
                        continue
                    matched = True
                    for tag in svc.tags:
                        if tag not in seen:
                            seen.add(tag)
                            tags.append(tag)
                if matched:
                    out[name] = tags
            body = self.renderer.store(key, index, dumps(out))
        return raw_json(body, meta_headers(index, opts))

    async def service(self, req: Request, name: str) -> Response:
        require(name, "Missing service name")
        opts = parse_query(req, self.agent.config)
        match = self._compile(req)
        tags = tuple(t.lower() for t in req.query.get("tag", []))
        meta = node_meta(req)
        index = await block(
            self.agent.hub,
            opts,
            lambda: self.catalog.health_index(name),
            lambda: self.catalog.watch_keys(name),
        )
        headers = meta_headers(index, opts)
        if req.get("peer"):
            return raw_json(dumps([]), headers)  # no cluster peerings: every peer name is unknown
        if match is not None:
            import json

            items = json.loads(self.renderer.catalog_service(name, index, tags, meta))
            return raw_json(dumps([i for i in items if match(i)]), headers)
        return raw_json(self.renderer.catalog_service(name, index, tags, meta), headers)

    async def nodes(self, req: Request, rest: str) -> Response:
        opts = parse_query(req, self.agent.config)
        match = self._compile(req)
        index = await block(self.agent.hub, opts, lambda: self.catalog.nodes_table, lambda: ["nodes"])
        nodes = self.catalog.nodes
        items = [node_json(nodes[n]) for n in sorted(nodes) if node_meta_ok(req, nodes[n].meta)]
        if match is not None:
            items = [i for i in items if match(i)]
        return raw_json(dumps(items), meta_headers(index, opts))

    async def node(self, req: Request, name: str) -> Response:
        require(name, "Missing node name")
        opts = parse_query(req, self.agent.config)
        match = self._compile(req)
        cat = self.catalog

        def index_fn() -> int:
            return max(cat.nodes_table, cat.services_table)

        index = await block(self.agent.hub, opts, index_fn, lambda: ["nodes", "services"])
        body: Any = None
        if name in cat.nodes and not req.get("peer"):
            services = {s.id: node_service(s) for s in cat.node_services(name)}
            if match is not None:  # Consul evaluates the filter against each entry of Services
                services = {k: v for k, v in services.items() if match(v)}
            body = {"Node": node_json(cat.nodes[name]), "Services": services}
        return raw_json(dumps(body), meta_headers(index, opts))
