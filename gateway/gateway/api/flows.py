"""Flow routes: each flow's own endpoint (e.g. ``POST /process``) and the ``/api/flows`` resource.

``GET /api/flows``, ``GET /api/flows/{name}`` (graph), ``POST /api/flows/{name}/run`` (output,
per-node results and the execution trace), ``PUT``/``DELETE /api/flows/{name}`` (management
token). A failed node answers 502 (504 on timeout, 503 without a healthy instance) with
``{"detail", "error": {flow, node, service, instance, attempt, status, kind, message}, "trace"}``.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.routing import BaseRoute

from ..orchestrator.errors import FlowDefinitionError, FlowError
from ..orchestrator.loader import LoadedFlow, build_flow
from ..orchestrator.registry import FlowConflict
from ..security import ManagementAuth

if TYPE_CHECKING:
    from ..orchestrator.extension import FlowsExtension

__all__ = ["build_routers"]

log = logging.getLogger("gateway.flows")

_FLOW_ROUTE_ATTR = "_gateway_flow_endpoint"
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "body is not valid JSON"},
    502: {"description": "a node failed (error names flow, node, instance, attempt, status)"},
    503: {"description": "a node has no healthy instance"},
    504: {"description": "a node timed out"},
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, StreamingResponse):
        return {"stream": "text/event-stream"}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(status_code=400, detail="request body is required: a JSON document")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(status_code=400, detail=f"body is not valid JSON: {exc}") from exc


def _error_response(exc: FlowError) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc), "error": exc.to_dict(), "trace": _jsonable(exc.trace)},
        status_code=exc.http_status,
    )


def _output_response(flow: LoadedFlow, output: Any, duration_ms: float) -> Response:
    headers = {"x-flow": flow.name, "x-flow-duration-ms": f"{duration_ms:.3f}"}
    if isinstance(output, StreamingResponse):
        output.headers.update(headers)
        return output
    if isinstance(output, bytes):
        return Response(output, media_type="application/octet-stream", headers=headers)
    return JSONResponse(_jsonable(output), headers=headers)


def _endpoint_handler(ext: FlowsExtension, path: str) -> Callable[[Request], Awaitable[Response]]:
    async def run_flow_endpoint(request: Request) -> Response:
        flow = ext.registry.by_endpoint(path)
        if flow is None:
            raise HTTPException(status_code=404, detail=f"no flow is served on {path} any more")
        inputs = await _json_body(request)
        try:
            run = await flow.orchestrator.run(inputs)
        except FlowError as exc:
            return _error_response(exc)
        return _output_response(flow, run.output, run.duration_ms)

    setattr(run_flow_endpoint, _FLOW_ROUTE_ATTR, path)
    return run_flow_endpoint


def _add_endpoint_route(ext: FlowsExtension, router: APIRouter, path: str) -> BaseRoute:
    router.add_api_route(
        path,
        _endpoint_handler(ext, path),
        methods=["POST"],
        tags=["flows"],
        summary=f"Run the flow served on {path}",
        responses=_ERRORS,
        openapi_extra={"requestBody": {"content": {"application/json": {"schema": {}}}, "required": True}},
    )
    return router.routes[-1]


def _ensure_route(app: FastAPI, ext: FlowsExtension, router: APIRouter, served: set[str], path: str) -> None:
    """Serve ``path`` on a running app (flows added over REST); refuse to shadow other routes."""
    if path in served:
        return
    app.openapi_schema = None
    try:
        taken = app.openapi().get("paths", {}).get(path, {})
    except Exception:  # a route elsewhere that cannot be documented must not block flow management
        log.exception("cannot build the OpenAPI schema to check %s for conflicts", path)
        taken = {}
    if "post" in taken:
        raise HTTPException(status_code=409, detail=f"endpoint {path} is already a gateway route")
    route = _add_endpoint_route(ext, router, path)
    # FastAPI >= 0.16x keeps included routers live; older versions copied routes at include time.
    if not any(getattr(r, "original_router", None) is router for r in app.router.routes):
        app.router.routes.insert(0, route)
    app.openapi_schema = None
    served.add(path)


def _summary(flow: LoadedFlow) -> dict[str, Any]:
    return {
        "name": flow.name,
        "endpoint": flow.endpoint,
        "description": flow.description,
        "source": flow.source,
        "nodes": [svc.short_name for svc in flow.orchestrator.services.values()],
    }


def build_routers(ext: FlowsExtension) -> Sequence[APIRouter]:
    api = APIRouter(prefix="/api/flows", tags=["flows"])
    endpoints = APIRouter()
    served: set[str] = set()
    for name in ext.registry.names():
        flow = ext.registry.get(name)
        if flow is not None and flow.endpoint and flow.endpoint not in served:
            _add_endpoint_route(ext, endpoints, flow.endpoint)
            served.add(flow.endpoint)

    def _get(name: str) -> LoadedFlow:
        flow = ext.registry.get(name)
        if flow is None:
            raise HTTPException(status_code=404, detail=f"unknown flow {name!r}")
        return flow

    @api.get("", summary="List the flows")
    async def list_flows() -> dict[str, Any]:
        flows = [ext.registry.get(n) for n in ext.registry.names()]
        return {"flows": [_summary(f) for f in flows if f is not None]}

    @api.get("/{name}", summary="A flow's graph: nodes, edges with conditions, roots, leaves")
    async def get_flow(name: str) -> dict[str, Any]:
        flow = _get(name)
        return {**_summary(flow), "graph": flow.orchestrator.describe(), "definition": flow.definition}

    @api.post(
        "/{name}/run", summary="Run a flow; answers output, per-node results and the trace", responses=_ERRORS
    )
    async def run_flow(name: str, request: Request) -> Response:
        flow = _get(name)
        inputs = await _json_body(request)
        t0 = time.perf_counter()
        try:
            run = await flow.orchestrator.run(inputs)
        except FlowError as exc:
            return _error_response(exc)
        if isinstance(run.output, StreamingResponse):
            return _output_response(flow, run.output, run.duration_ms)
        return JSONResponse(
            {
                "flow": flow.name,
                "output": _jsonable(run.output),
                "results": {
                    k.removesuffix("/MicroService"): _jsonable(v) for k, v in run.result_dict.items()
                },
                "trace": _jsonable(run.trace),
                "collisions": run.runtime_graph.collisions,
                "duration_ms": round((time.perf_counter() - t0) * 1000, 3),
            }
        )

    @api.put(
        "/{name}",
        summary="Create or replace a flow (management token)",
        dependencies=[ManagementAuth],
        responses={
            201: {"description": "created"},
            409: {"description": "endpoint taken"},
            422: {"description": "invalid flow (names the node and reason)"},
        },
    )
    async def put_flow(name: str, request: Request) -> JSONResponse:
        data = await _json_body(request)
        if isinstance(data, dict) and data.get("name", name) != name:
            raise HTTPException(
                status_code=422, detail=f"body name {data.get('name')!r} differs from the path name {name!r}"
            )
        if isinstance(data, dict):
            data = {**data, "name": name}
        try:
            flow = build_flow(
                data,
                source=f"api:{name}",
                default_name=name,
                default_timeout=ext.settings.gateway_flow_timeout,
            )
        except FlowDefinitionError as exc:
            raise HTTPException(status_code=422, detail=exc.to_dict()) from exc
        if flow.endpoint:
            other = ext.registry.by_endpoint(flow.endpoint)
            if other is not None and other.name != name:
                raise HTTPException(
                    status_code=409,
                    detail=f"endpoint {flow.endpoint} is already served by flow {other.name!r}",
                )
            _ensure_route(request.app, ext, endpoints, served, flow.endpoint)
        try:
            replaced = ext.registry.put(flow)
        except FlowConflict as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        return JSONResponse({**_summary(flow), "replaced": replaced}, status_code=200 if replaced else 201)

    @api.delete(
        "/{name}",
        summary="Remove a flow (management token)",
        dependencies=[ManagementAuth],
        status_code=204,
        responses={404: {"description": "unknown flow"}},
    )
    async def delete_flow(name: str) -> Response:
        if ext.registry.remove(name) is None:
            raise HTTPException(status_code=404, detail=f"unknown flow {name!r}")
        return Response(status_code=204)

    return [api, endpoints]
