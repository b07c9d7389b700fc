"""``GET /api/models/available``: what every healthy model instance serves (seed shape)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from ..core import GatewayCore
from ..discovery.instance import Instance
from ..upstream import UpstreamError
from .deps import CoreDep
from .schemas import ModelsAvailable

__all__ = ["model_names", "router"]

router = APIRouter(tags=["models"])


def model_names(document: Any) -> list[str]:
    """Model names in a model instance's ``GET /api/models`` answer.

    Accepts ``{"models": [{"name": ...}, ...]}`` (the model service), a bare list of such
    objects, or lists of plain names.
    """
    if isinstance(document, dict):
        document = document.get("models", [])
    names: list[str] = []
    if isinstance(document, list):
        for item in document:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, dict):
                name = item.get("name") or item.get("model")
                if isinstance(name, str):
                    names.append(name)
    return names


async def _ask(core: GatewayCore, inst: Instance, rid: str) -> tuple[Instance, list[str] | str]:
    try:
        resp = await core.client.request_instance(
            inst,
            "GET",
            "/api/models",
            headers={"X-Request-ID": rid},
            timeout=core.settings.model_fanout_timeout,
        )
    except UpstreamError as exc:
        return inst, exc.detail
    if resp.status != 200:
        return inst, f"HTTP {resp.status}"
    try:
        return inst, model_names(resp.json())
    except ValueError:
        return inst, "answer is not JSON"


@router.get(
    "/api/models/available",
    summary="Models served by each healthy model instance",
    description="Asks every healthy instance of the model service concurrently (GET /api/models). "
    "Instances that fail are listed under ``errors``, not silently skipped.",
)
async def available(request: Request, core: CoreDep) -> ModelsAvailable:
    service = core.settings.model_service_name
    request.scope["gateway.service"] = service
    rid: str = request.scope.get("gateway.request_id", "")
    answers = await asyncio.gather(*(_ask(core, i, rid) for i in core.discovery.table.instances(service)))
    by_service: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for inst, result in answers:
        if isinstance(result, str):
            errors[inst.hostport] = result
        else:
            by_service[inst.hostport] = result
    return ModelsAvailable(models_by_service=by_service, services=list(by_service), errors=errors)
