"""Mesh read endpoints: /v1/health/connect, /v1/health/ingress, /v1/catalog/connect,
/v1/catalog/gateway-services (Consul's agent/health_endpoint.go and catalog_endpoint.go).

Connect answers list connect-proxies registered for the service (and Connect-native instances).
Ingress and gateway-service answers come from config entries, which this agent does not store, so
they are always ``[]`` with the index headers, as Consul answers for a service without gateways.
"""

from __future__ import annotations

from ...agent import Agent
from ...jsonout import dumps
from ...mesh import connect_instances
from ...model import Service
from ...views import service_node
from ..blocking import block
from ..query import QueryOptions, meta_headers, parse_query
from ..render import Renderer
from ..request import Request
from ..response import Response, raw_json
from .common import node_meta_ok, passing_param, require

__all__ = ["MeshEndpoints"]


class MeshEndpoints:
    def __init__(self, agent: Agent, renderer: Renderer) -> None:
        self.agent = agent
        self.renderer = renderer
        self.catalog = agent.catalog

    async def _index(self, opts: QueryOptions) -> int:
        cat = self.catalog
        return await block(
            self.agent.hub,
            opts,
            lambda: max(cat.services_table, cat.checks_table, 1),
            lambda: ["services", "checks"],
        )

    def _instances(self, req: Request, name: str) -> list[Service]:
        if req.get("peer"):
            return []  # no cluster peerings: every peer name is unknown
        tags = {t.lower() for t in req.query.get("tag", [])}
        out: list[Service] = []
        for svc in connect_instances(self.catalog, name):
            if not node_meta_ok(req, self.catalog.node_of(svc).meta):
                continue
            if tags and not tags <= {t.lower() for t in svc.tags}:
                continue
            out.append(svc)
        return out

    async def health_connect(self, req: Request, name: str) -> Response:
        require(name, "Missing service name")
        opts = parse_query(req, self.agent.config)
        passing = passing_param(req)
        index = await self._index(opts)
        body = self.renderer.health_of(self._instances(req, name), passing)
        return self._filtered(req, body, meta_headers(index, opts))

    async def catalog_connect(self, req: Request, name: str) -> Response:
        require(name, "Missing service name")
        opts = parse_query(req, self.agent.config)
        index = await self._index(opts)
        items = [service_node(self.catalog.node_of(s), s) for s in self._instances(req, name)]
        return self._filtered(req, dumps(items), meta_headers(index, opts))

    async def empty(self, req: Request, name: str) -> Response:
        """health/ingress and catalog/gateway-services: no config entries, so no gateways."""
        require(name, "Missing service name" if "ingress" in req.path else "Missing gateway name")
        opts = parse_query(req, self.agent.config)
        index = await self._index(opts)
        return raw_json(dumps([]), meta_headers(index, opts))

    def _filtered(self, req: Request, body: bytes, headers: dict[str, str]) -> Response:
        if not req.get("filter"):
            return raw_json(body, headers)
        import json

        from ...bexpr import compile_filter

        match = compile_filter(req.get("filter"))
        return raw_json(dumps([i for i in json.loads(body) if match(i)]), headers)
