"""The ``/api/flows`` resource: list, graph, run with trace, create/replace, delete.

``GET /api/flows``, ``GET /api/flows/{name}`` (graph), ``POST /api/flows/{name}/run`` (output,
per-node results and the execution trace), ``PUT``/``DELETE /api/flows/{name}`` (management
token; stored in Consul KV and served by every gateway process, see ``shared_store``;
``If-Match: <version>`` makes the write conditional on that version, else it is conditional
on the version this process served when the request arrived: a concurrent change is a 409).
A failed node answers 502 (504 on timeout, 503 without a healthy instance) with
``{"detail", "error": {flow, node, service, instance, attempt, status, kind, message}, "trace"}``.
Each flow's own endpoint is served by ``dispatch.FlowEndpoints``.
"""

from __future__ import annotations

import logging
import time
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.routing import Match

from ..security import IntrospectionAuth, ManagementAuth
from .dispatch import FlowEndpoints
from .errors import FlowDefinitionError, FlowError
from .loader import LoadedFlow, build_flow
from .registry import FlowRegistry
from .responses import ERROR_RESPONSES, error_response, json_body, jsonable, output_response
from .settings import FlowSettings
from .shared_store import FlowStoreError, FlowVersionConflict, SharedFlowStore

__all__ = ["build_router"]

log = logging.getLogger("gateway.flows")


def _served_elsewhere(app: FastAPI, path: str) -> bool:
    """Whether another route of the app answers ``POST path`` (a flow must not shadow it)."""
    scope = {
        "type": "http",
        "path": path,
        "method": "POST",
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    for route in app.router.routes:
        if isinstance(route, FlowEndpoints):
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return True
    return False


def public_source(source: str) -> str:
    """Where a flow came from, without the server's file paths: ``file:echo.yaml``, ``api:x``."""
    if ":" in source.split("/", 1)[0] and not source.startswith("/"):
        return source  # api:<name>, kv:<key>
    return f"file:{PurePath(source).name}"


def _if_match(request: Request) -> int | None:
    """The version a write is conditional on (``If-Match: 42`` or ``"42"``); None: not given."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    try:
        value = int(raw.strip().strip('"'))
    except ValueError:
        raise HTTPException(status_code=400, detail="If-Match must be a flow version (an integer)") from None
    if value < 0:
        raise HTTPException(status_code=400, detail="If-Match must be a flow version (>= 0)")
    return value


def _store_error(exc: FlowStoreError) -> HTTPException:
    if isinstance(exc, FlowVersionConflict):
        return HTTPException(status_code=409, detail=str(exc))
    return HTTPException(status_code=503, detail=f"{exc}; the flow was not changed")


def build_router(registry: FlowRegistry, settings: FlowSettings, store: SharedFlowStore) -> APIRouter:
    api = APIRouter(prefix="/api/flows", tags=["flows"])

    def _summary(flow: LoadedFlow) -> dict[str, Any]:
        return {
            "name": flow.name,
            "endpoint": flow.endpoint,
            "description": flow.description,
            "source": public_source(flow.source),
            "version": store.version(flow.name),
            "nodes": [svc.short_name for svc in flow.orchestrator.services.values()],
        }

    def _get(name: str) -> LoadedFlow:
        flow = registry.get(name)
        if flow is None:
            raise HTTPException(status_code=404, detail=f"unknown flow {name!r}")
        return flow

    @api.get("", summary="List the flows", dependencies=[IntrospectionAuth])
    async def list_flows() -> dict[str, Any]:
        flows = [registry.get(n) for n in registry.names()]
        return {
            "flows": [_summary(f) for f in flows if f is not None],
            "errors": [e.to_dict() for e in store.errors],
        }

    @api.get(
        "/{name}",
        summary="A flow's graph: nodes, edges with conditions, roots, leaves",
        dependencies=[IntrospectionAuth],
    )
    async def get_flow(name: str) -> dict[str, Any]:
        flow = _get(name)
        return {**_summary(flow), "graph": flow.orchestrator.describe(), "definition": flow.definition}

    @api.post(
        "/{name}/run",
        summary="Run a flow; answers output, per-node results and the trace",
        responses=ERROR_RESPONSES,
    )
    async def run_flow(name: str, request: Request) -> Response:
        flow = _get(name)
        inputs = await json_body(request)
        t0 = time.perf_counter()
        try:
            run = await flow.orchestrator.run(inputs)
        except FlowError as exc:
            return error_response(exc)
        if isinstance(run.output, StreamingResponse):
            return output_response(flow, run.output, run.duration_ms)
        return JSONResponse(
            {
                "flow": flow.name,
                "output": jsonable(run.output),
                "results": {k.removesuffix("/MicroService"): jsonable(v) for k, v in run.result_dict.items()},
                "trace": jsonable(run.trace),
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
            409: {"description": "endpoint taken, or the flow changed meanwhile (another writer)"},
            503: {"description": "Consul unreachable: the flow was not stored"},
            422: {"description": "invalid flow (names the node and reason)"},
        },
    )
    async def put_flow(name: str, request: Request) -> JSONResponse:
        # The version this change is based on: the client's If-Match, else what this process
        # served when the request arrived (a change landing meanwhile makes this a 409).
        expected = _if_match(request)
        if expected is None:
            expected = store.version(name)
        data = await json_body(request)
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
                default_timeout=settings.gateway_flow_timeout,
            )
        except FlowDefinitionError as exc:
            raise HTTPException(status_code=422, detail=exc.to_dict()) from exc
        if flow.endpoint:
            other = registry.by_endpoint(flow.endpoint)
            if other is not None and other.name != name:
                raise HTTPException(
                    status_code=409,
                    detail=f"endpoint {flow.endpoint} is already served by flow {other.name!r}",
                )
            if _served_elsewhere(request.app, flow.endpoint):
                raise HTTPException(
                    status_code=409, detail=f"endpoint {flow.endpoint} is already a gateway route"
                )
        replaced = registry.get(name) is not None
        try:
            await store.put(flow, data, expected=expected)
        except FlowStoreError as exc:
            raise _store_error(exc) from exc
        served = registry.get(name) or flow
        return JSONResponse({**_summary(served), "replaced": replaced}, status_code=200 if replaced else 201)

    @api.delete(
        "/{name}",
        summary="Remove a flow (management token)",
        dependencies=[ManagementAuth],
        status_code=204,
        responses={
            404: {"description": "unknown flow"},
            409: {"description": "the flow changed meanwhile (another writer)"},
            503: {"description": "Consul unreachable: the flow was not removed"},
        },
    )
    async def delete_flow(name: str, request: Request) -> Response:
        expected = _if_match(request)
        if expected is None:
            expected = store.version(name)
        if registry.get(name) is None and not store.invalid(name):
            raise HTTPException(status_code=404, detail=f"unknown flow {name!r}")
        try:
            await store.delete(name, expected=expected)
        except FlowStoreError as exc:
            raise _store_error(exc) from exc
        return Response(status_code=204)

    return api
