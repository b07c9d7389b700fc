"""/v1/health/* (contract §4): catalog view, blocking, X-Consul-Index on every answer."""

from __future__ import annotations

from typing import Any

from ...agent import Agent
from ...jsonout import dumps
from ...model import Check, Service
from ...views import check_json
from ..blocking import block
from ..query import meta_headers, parse_query
from ..render import Renderer
from ..request import Request
from ..response import Response, raw_json
from .common import node_meta, node_meta_ok, passing_param, require

__all__ = ["HealthEndpoints"]


class HealthEndpoints:
    def __init__(self, agent: Agent, renderer: Renderer) -> None:
        self.agent = agent
        self.renderer = renderer
        self.catalog = agent.catalog

    def _filter(self, req: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not req.get("filter"):
            return items
        from ...bexpr import compile_filter

        match = compile_filter(req.get("filter"))
        return [i for i in items if match(i)]

    async def service(self, req: Request, name: str) -> Response:
        require(name, "Missing service name")
        opts = parse_query(req, self.agent.config)
        passing = passing_param(req)
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
        if req.get("filter"):
            import json

            entries = json.loads(self.renderer.health_service(name, index, passing, tags, meta))
            return raw_json(dumps(self._filter(req, entries)), headers)
        return raw_json(self.renderer.health_service(name, index, passing, tags, meta), headers)

    def _json(self, check: Check) -> dict[str, Any]:
        return check_json(check, self.catalog.node_name(check), self.agent.service_tags(check), True)

    def _node_ok(self, req: Request, obj: Check | Service) -> bool:
        return node_meta_ok(req, self.catalog.node_of(obj).meta)

    async def checks(self, req: Request, name: str) -> Response:
        require(name, "Missing service name")
        opts = parse_query(req, self.agent.config)
        index = await block(
            self.agent.hub,
            opts,
            lambda: self.catalog.health_index(name),
            lambda: self.catalog.watch_keys(name),
        )
        items: list[dict[str, Any]] = []
        for svc in [] if req.get("peer") else self.catalog.instances(name):
            if self._node_ok(req, svc):
                items.extend(self._json(c) for c in self.catalog.checks_of_instance(svc))
        return raw_json(dumps(self._filter(req, items)), meta_headers(index, opts))

    async def state(self, req: Request, state: str) -> Response:
        require(state, "Missing check state")
        opts = parse_query(req, self.agent.config)
        index = await block(self.agent.hub, opts, lambda: self.catalog.checks_table, lambda: ["checks"])
        items = [
            self._json(c)
            for c in self.catalog.all_checks()
            if (state == "any" or c.cat_status == state) and self._node_ok(req, c)
        ]
        return raw_json(dumps(self._filter(req, items)), meta_headers(index, opts))

    async def node(self, req: Request, node: str) -> Response:
        require(node, "Missing node name")
        opts = parse_query(req, self.agent.config)
        index = await block(self.agent.hub, opts, lambda: self.catalog.checks_table, lambda: ["checks"])
        items: list[dict[str, Any]] = []
        if node in self.catalog.nodes:
            items = [self._json(c) for c in self.catalog.checks_on_node(node)]
        return raw_json(dumps(self._filter(req, items)), meta_headers(index, opts))
