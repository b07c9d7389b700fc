"""``GET /v1/statistics``: count, errors and p50/p99 latency per route, service (and extension kinds)."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Query

from ..observability import StatisticsStore
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
    workers: dict[str, object] = {}
    if core.peers is not None:  # one of several workers: answer for all of them
        exports = [json.loads(raw) for raw in await core.peers.gather("statistics")]
        stats = StatisticsStore.merged(exports)
        workers = {"workers": [_worker_share(e) for e in sorted(exports, key=lambda e: int(e["worker"]))]}
    return StatisticsView.model_validate(
        {
            "since": stats.started_at,
            "uptime_s": round(time.time() - stats.started_at, 3),
            "window": stats.window,
            **stats.snapshot(kind),
            **workers,
        }
    )


def _worker_share(export: dict[str, Any]) -> dict[str, Any]:
    """One worker's part: requests it answered (its ``route`` counts)."""
    routes = (export.get("data") or {}).get("route") or {}
    return {
        "worker": export["worker"],
        "pid": export.get("pid"),
        "requests": sum(int(r["count"]) for r in routes.values()),
    }
