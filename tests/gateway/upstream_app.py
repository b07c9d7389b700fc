"""A small real upstream for gateway tests: ``python -m tests.gateway.upstream_app``.

Configured like every service (servicekit env: SERVICE_PORT, SERVICE_NAME, SERVICE_TAGS,
SERVICE_META, CONSUL_HTTP_ADDR, CHECK_INTERVAL, ...); it registers itself in Consul with an
HTTP check. Routes give the tests controllable behaviour: a status code, a delay, the
headers received, large/streamed bodies, and a model-service imitation (``UPSTREAM_MODEL``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from servicekit import ServiceSettings, create_service_app, run_service

router = APIRouter()
settings = ServiceSettings()
MODEL = os.environ.get("UPSTREAM_MODEL", "")
FEATURES = {"gdp_per_capita", "unemployment_rate", "gdp_growth_rate_lag", "gdp_growth_rate_ma"}


def _me() -> dict[str, Any]:
    return {"port": settings.service_port, "name": settings.service_name}


@router.api_route("/whoami", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
async def whoami() -> dict[str, Any]:
    return _me()


@router.api_route("/status/{code}", methods=["GET", "POST", "PUT", "DELETE", "HEAD"])
async def status(code: int) -> Response:
    if code in (204, 304):
        return Response(status_code=code, headers={"X-Upstream-Marker": "yes"})
    return JSONResponse({"code": code, **_me()}, status_code=code, headers={"X-Upstream-Marker": "yes"})


@router.get("/sleep")
async def sleep(s: float = 1.0) -> dict[str, Any]:
    await asyncio.sleep(s)
    return {"slept": s, **_me()}


@router.api_route("/headers/{rest:path}", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
async def headers(request: Request, rest: str) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.url.path,
        "raw_path": request.scope["raw_path"].decode("latin-1"),  # as received on the wire
        "query": request.url.query,
        "headers": {k: v for k, v in request.headers.items()},
        "body": (await request.body()).decode("utf-8", errors="replace"),
        **_me(),
    }


@router.post("/upload")
async def upload(request: Request) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest(), **_me()}


def pattern(n: int) -> bytes:
    block = bytes(range(256)) * 256  # 64 KiB
    return (block * (n // len(block) + 1))[:n]


@router.get("/download")
async def download(n: int = 1024, chunk: int = 65536, delay: float = 0.0) -> StreamingResponse:
    data = pattern(n)

    async def body() -> AsyncIterator[bytes]:
        for i in range(0, n, chunk):
            if delay:
                await asyncio.sleep(delay)
            yield data[i : i + chunk]

    return StreamingResponse(body(), media_type="application/octet-stream")


@router.post("/echo")
async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/json")


@router.get("/api/models")
async def models() -> dict[str, Any]:
    return {"service": settings.service_name, "models": [{"name": MODEL or "none", "estimator": "Fake"}]}


@router.post("/api/predict/gdp_growth_rate")
async def predict(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    if set(body) != FEATURES:
        return JSONResponse({"detail": f"unexpected fields {sorted(body)}"}, status_code=422)
    return JSONResponse(
        {
            "message": "GDP growth prediction endpoint",
            "input": body,
            "model": MODEL,
            "prediction": [1.5],
            **_me(),
        }
    )


app = create_service_app(
    settings, title="test-upstream", description="gateway test upstream", routers=[router]
)

if __name__ == "__main__":
    run_service(app, settings, loop="uvloop", http="httptools")
