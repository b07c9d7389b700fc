"""The naive reference: FastAPI + one shared httpx.AsyncClient forwarding to a random backend.

``python bench/gateway/naive_proxy.py --port N http://127.0.0.1:A http://127.0.0.1:B``
(uvicorn defaults, one worker; what a straightforward FastAPI proxy looks like).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response


def build(backends: list[str]) -> FastAPI:
    client: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        client["c"] = httpx.AsyncClient(timeout=30)
        yield
        await client["c"].aclose()

    app = FastAPI(lifespan=lifespan)

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def proxy(path: str, request: Request) -> Response:
        url = f"{random.choice(backends)}/{path}"
        r = await client["c"].request(
            request.method,
            url,
            content=await request.body(),
            headers={"content-type": request.headers.get("content-type", "")},
        )
        return Response(r.content, status_code=r.status_code, media_type=r.headers.get("content-type"))

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("backends", nargs="+")
    args = parser.parse_args()
    uvicorn.run(build(args.backends), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
