"""``GET /dashboard``: live charts, the routing table, replica controls and statistics.

The page and its script and styles are package files (``dashboard_assets/``), served by the
gateway itself: nothing is loaded from a CDN. Charts are small SVG drawn by the script from
``GET /api/dashboard/history`` (the last 15 minutes, sampled in the gateway).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from .deps import CoreDep

__all__ = ["router"]

router = APIRouter(tags=["gateway"])

_ASSETS = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}


@cache
def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("dashboard_assets", name).read_bytes()


@router.get("/dashboard", response_class=HTMLResponse, summary="Dashboard: charts, routing table, controls")
async def dashboard() -> HTMLResponse:
    return HTMLResponse(_asset("index.html"))


@router.get("/dashboard/assets/{name}", include_in_schema=False)
async def dashboard_asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:  # a fixed list: no path from the client reaches the filesystem
        raise HTTPException(status_code=404, detail="no such dashboard asset")
    return Response(_asset(name), media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/api/dashboard/history", summary="The last 15 minutes the dashboard charts (sampled every 5 s)")
async def history(core: CoreDep) -> dict[str, Any]:
    return core.history.to_dict()
