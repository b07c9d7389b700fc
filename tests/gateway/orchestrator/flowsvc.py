"""A small real service for flow tests: ``python -m tests.gateway.orchestrator.flowsvc``.

Configured like every service (SERVICE_NAME, SERVICE_PORT, CONSUL_HTTP_ADDR, ...) and
registered in Consul through servicekit. Endpoints (all POST, JSON in):
``/tag`` adds ``{"<name>": port}`` and appends the name to ``path``; ``/slow`` sleeps
``?delay=`` seconds first; ``/fail`` answers ``?status=`` (default 500); ``/flaky`` fails
(503) the first ``?times=`` calls of this process; ``/sse`` streams ``?n=`` events
``?gap=`` seconds apart; ``/score`` answers ``{"score": input.score, "label": input.label}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from servicekit import ServiceSettings, create_service_app, run_service

router = APIRouter()
_state = {"flaky": 0}


def _settings() -> ServiceSettings:
    return ServiceSettings()


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw else {}
    return data if isinstance(data, dict) else {"value": data}


def _tag(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    settings: ServiceSettings = request.app.state.settings
    return {
        **body,
        settings.service_name: settings.service_port,
        "path": [*body.get("path", []), settings.service_name],
    }


@router.post("/tag")
async def tag(request: Request) -> JSONResponse:
    return JSONResponse(_tag(request, await _body(request)))


@router.post("/slow")
async def slow(request: Request, delay: float = 0.5) -> JSONResponse:
    await asyncio.sleep(min(delay, 30.0))
    return JSONResponse(_tag(request, await _body(request)))


@router.post("/fail")
async def fail(request: Request, status: int = 500) -> JSONResponse:
    return JSONResponse({"detail": "deliberate failure"}, status_code=status)


@router.post("/flaky")
async def flaky(request: Request, times: int = 2) -> JSONResponse:
    _state["flaky"] += 1
    if _state["flaky"] <= times:
        return JSONResponse({"detail": f"flaky failure {_state['flaky']}"}, status_code=503)
    return JSONResponse({**_tag(request, await _body(request)), "calls": _state["flaky"]})


@router.post("/sse")
async def sse(request: Request, n: int = 5, gap: float = 0.2) -> StreamingResponse:
    await _body(request)

    async def events() -> AsyncIterator[bytes]:
        for i in range(min(n, 100)):
            yield f"data: token{i}\n\n".encode()
            await asyncio.sleep(gap)
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@router.post("/raw-tokens")
async def raw_tokens(request: Request) -> StreamingResponse:
    """OPEA's streaming test service (tests/cores/mega/test_service_orchestrator_streaming.py,
    s0_add): raw tokens, no SSE framing, labelled text/event-stream."""
    await _body(request)

    async def token_generator() -> AsyncIterator[bytes]:
        for i in [" OPEA", " is", " great.", " I", " think ", " so."]:
            yield i.encode()

    return StreamingResponse(token_generator(), media_type="text/event-stream")


@router.post("/score")
async def score(request: Request) -> JSONResponse:
    body = await _body(request)
    return JSONResponse({"score": body.get("score"), "label": body.get("label")})


def main() -> None:
    settings = _settings()
    app = create_service_app(settings, title="flowsvc", description="flow test service", routers=[router])
    run_service(app, settings)


if __name__ == "__main__":
    main()
