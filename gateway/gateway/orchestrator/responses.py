"""How flow routes read a request body and answer: outputs, streams and structured node errors."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from servicekit import loads_strict

from .errors import FlowError
from .loader import LoadedFlow

__all__ = ["ERROR_RESPONSES", "error_response", "json_body", "jsonable", "output_response"]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "body is not valid JSON"},
    502: {"description": "a node failed (error names flow, node, instance, attempt, status)"},
    503: {"description": "a node has no healthy instance"},
    504: {"description": "a node timed out"},
}


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, StreamingResponse):
        return {"stream": "text/event-stream"}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(status_code=400, detail="request body is required: a JSON document")
    try:
        return loads_strict(raw)  # no NaN/Infinity (not JSON; upstreams would choke), bounded depth
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(status_code=400, detail=f"body is not valid JSON: {exc}") from exc


def error_response(exc: FlowError) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc), "error": exc.to_dict(), "trace": jsonable(exc.trace)},
        status_code=exc.http_status,
    )


def output_response(flow: LoadedFlow, output: Any, duration_ms: float) -> Response:
    headers = {"x-flow": flow.name, "x-flow-duration-ms": f"{duration_ms:.3f}"}
    if isinstance(output, StreamingResponse):
        output.headers.update(headers)
        return output
    if isinstance(output, bytes):
        return Response(output, media_type="application/octet-stream", headers=headers)
    return JSONResponse(jsonable(output), headers=headers)
