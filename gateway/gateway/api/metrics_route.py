"""``GET /metrics``: Prometheus exposition of the gateway's own registry."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .deps import CoreDep

__all__ = ["router"]

router = APIRouter(tags=["observability"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(core: CoreDep) -> Response:
    return Response(generate_latest(core.metrics.registry), media_type=CONTENT_TYPE_LATEST)
