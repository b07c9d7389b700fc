"""``GET /metrics``: Prometheus exposition of the gateway's registry (of all its workers)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..workers import merge_metrics
from .deps import CoreDep

__all__ = ["router"]

router = APIRouter(tags=["observability"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(core: CoreDep) -> Response:
    if core.peers is not None:  # one of several workers: answer for all of them
        body = merge_metrics(await core.peers.gather("metrics"))
        return Response(body, media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(core.metrics.registry), media_type=CONTENT_TYPE_LATEST)
