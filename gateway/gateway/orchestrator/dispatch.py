"""One route serving every flow's own endpoint (e.g. ``POST /process``) from the registry.

``FlowEndpoints`` matches a request only when a flow in the registry is served on its path,
so it shadows no other route and a flow added, replaced or removed at run time (over REST, or
by another gateway instance) is served or gone on the next request: the app's router is built
once and never changed while it serves. A flow path asked with another method is a 405.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import URLPath
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from .errors import FlowError
from .registry import FlowRegistry
from .responses import error_response, json_body, output_response

__all__ = ["FLOW_ROUTE", "FlowEndpoints"]

# The metrics/statistics route label of every flow endpoint: one value, however many flows
# are created over time (the flow itself is in the flows' own metrics).
FLOW_ROUTE = "{flow endpoint}"


class FlowEndpoints(BaseRoute):
    def __init__(self, registry: FlowRegistry) -> None:
        self.registry = registry

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or self.registry.by_endpoint(scope["path"]) is None:
            return Match.NONE, {}
        return (Match.FULL if scope["method"] == "POST" else Match.PARTIAL), {"gateway.route": FLOW_ROUTE}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._run(request)
        except HTTPException as exc:
            response = JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        await response(scope, receive, send)

    async def _run(self, request: Request) -> Response:
        path = request.url.path
        if request.method != "POST":
            raise HTTPException(status_code=405, detail="Method Not Allowed", headers={"Allow": "POST"})
        flow = self.registry.by_endpoint(path)
        if flow is None:
            raise HTTPException(status_code=404, detail=f"no flow is served on {path} any more")
        inputs = await json_body(request)
        try:
            run = await flow.orchestrator.run(inputs)
        except FlowError as exc:
            return error_response(exc)
        return output_response(flow, run.output, run.duration_ms)
