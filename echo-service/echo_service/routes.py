"""``POST /echo``: return the JSON document received, unchanged."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from servicekit import JsonRejected, loads_strict

__all__ = ["router"]

router = APIRouter(tags=["echo"])


@router.post(
    "/echo",
    summary="Return the JSON body unchanged",
    responses={400: {"description": "Body is not valid JSON", "content": {"application/json": {}}}},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {}}}, "required": True}},
)
async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    try:
        document: Any = loads_strict(body)  # depth-limited, no NaN: what we echo must serialize
    except JsonRejected as exc:
        raise HTTPException(status_code=400, detail=f"Invalid JSON: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(status_code=400, detail="Invalid JSON") from exc
    return JSONResponse(document)
