"""``GET /api/cluster``: the gateway instances sharing this Consul, which one leads, how fresh each is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from ..cluster.view import cluster_view
from ..consul_client import ConsulError
from .deps import CoreDep

__all__ = ["router"]

router = APIRouter(tags=["gateway"])


@router.get(
    "/api/cluster",
    summary="Gateway instances (from Consul), the leader, each one's routing-table index and age",
    responses={503: {"description": "Consul unreachable"}},
)
async def get_cluster(core: CoreDep) -> dict[str, Any]:
    try:
        view = await cluster_view(core.consul, core.cluster, core.settings.service_name)
    except ConsulError as exc:
        raise HTTPException(status_code=503, detail=f"cannot read the cluster from Consul: {exc}") from exc
    return {**view, "leadership": core.leadership.status()}
