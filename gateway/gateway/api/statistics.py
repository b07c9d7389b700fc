"""``GET /v1/statistics``: count, errors and p50/p99 latency per route, service (and extension kinds)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Query

from .deps import CoreDep
from .schemas import StatisticsView

__all__ = ["router"]

router = APIRouter(tags=["observability"])


@router.get("/v1/statistics", summary="Per-route and per-service request statistics")
async def statistics(
    core: CoreDep,
    kind: str | None = Query(default=None, description="only this kind (route, service, flow, ...)"),
) -> StatisticsView:
    stats = core.stats
    return StatisticsView.model_validate(
        {
            "since": stats.started_at,
            "uptime_s": round(time.time() - stats.started_at, 3),
            "window": stats.window,
            **stats.snapshot(kind),
        }
    )
