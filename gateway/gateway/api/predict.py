"""Seed routes for predictions: ``POST /api/predict/gdp_growth_rate``, ``GET /api/predict/services``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import nullcontext

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..core import GatewayCore
from ..discovery.instance import Instance
from ..observability.access_recorder import request_id_of
from ..upstream import NoHealthyInstance, UpstreamResponse
from .deps import CoreDep
from .errors import UPSTREAM_ERRORS
from .schemas import GDPGrowthRequest, PredictServices

__all__ = ["model_matcher", "router"]

router = APIRouter(tags=["predict"])

_PATH = "/api/predict/gdp_growth_rate"


def model_matcher(model: str) -> Callable[[Instance], bool]:
    """Instance filter: the instance serves ``model`` (tag ``model:<name>`` or meta ``model``)."""

    def matches(inst: Instance) -> bool:
        return inst.meta.get("model") == model or f"model:{model}" in inst.tags

    return matches


@router.post(
    "/api/predict/gdp_growth_rate",
    summary="Predict GDP growth on one healthy model instance",
    description="Validated here (422 names the field), forwarded to a model instance chosen by the "
    "balancer; its JSON body and status are returned unchanged. With ``model`` only instances serving "
    "that model are used.",
    responses=UPSTREAM_ERRORS,
)
async def predict(body: GDPGrowthRequest, request: Request, core: CoreDep) -> Response:
    service = core.settings.model_service_name
    request.scope["gateway.service"] = service
    payload = json.dumps(body.features()).encode()
    headers = {"Content-Type": "application/json", "X-Request-ID": request_id_of(request.scope)}
    if body.model and core.replicas is not None:
        # An alias of a shipped model (any letter case, the estimator's class name) routes as the
        # canonical name its replicas are tagged with. Other names are routed as given: instances
        # may serve models the gateway's catalog does not know.
        canonical = core.replicas.resolve_model(body.model)
        if canonical is not None and canonical != body.model:
            body = body.model_copy(update={"model": canonical})
    matcher = model_matcher(body.model) if body.model else None
    # The model service's traffic rules (docs/traffic.md): its limits, and its version split /
    # X-Version when no ``model`` is asked for (an explicit model choice wins over the split).
    rules = core.routes.rules.get(service)
    policy = rules.policy if rules is not None else None
    limits = (
        core.limits.admitted(service, policy.rate, policy.max_in_flight)
        if policy is not None and policy.limited
        else nullcontext(None)
    )
    with limits as rejected:
        if rejected is not None:
            return JSONResponse(
                {"detail": rejected.detail, "service": service},
                status_code=rejected.status,
                headers={"Retry-After": str(rejected.retry_after)},
            )
        candidates = None
        if rules is not None and not body.model:
            candidates, version = rules.candidates(request.scope["headers"])
            if version is not None and not candidates:
                raise NoHealthyInstance(
                    service, f"no healthy instance of service '{service}' with version '{version}'"
                )
        return await _forward(core, request, service, payload, headers, matcher, candidates, body.model)


async def _forward(
    core: GatewayCore,
    request: Request,
    service: str,
    payload: bytes,
    headers: dict[str, str],
    matcher: Callable[[Instance], bool] | None,
    candidates: tuple[Instance, ...] | None,
    model: str | None,
) -> Response:
    def call() -> Awaitable[UpstreamResponse]:
        # idempotent: a prediction has no side effect, so a hung replica's try is retried elsewhere
        return core.client.request(
            service,
            "POST",
            _PATH,
            headers=headers,
            body=payload,
            instance_filter=matcher,
            idempotent=True,
            candidates=candidates,
        )

    try:
        try:
            resp = await call()
        except NoHealthyInstance:
            # Scaled to zero (autoscaler on): hold the request while a replica launches.
            if not model or core.capacity is None:
                raise
            held = await core.capacity.hold(model)
            if held is None:
                raise
            if not held.ready:
                return JSONResponse(
                    {"detail": held.reason, "service": service},
                    status_code=503,
                    headers={"Retry-After": str(held.retry_after)},
                )
            resp = await call()  # a replica is serving now
    except NoHealthyInstance as exc:
        if model:
            exc.detail = f"no healthy instance of service '{service}' serves model '{model}'"
        raise
    request.scope["gateway.instance"] = resp.instance.id
    request.scope["gateway.attempts"] = resp.attempts
    return Response(
        resp.body,
        status_code=resp.status,
        media_type=resp.headers.get("Content-Type", "application/json"),
    )


@router.get(
    "/api/predict/services",
    summary="Healthy model instances",
    response_model=PredictServices,
    response_model_by_alias=True,
)
async def predict_services(core: CoreDep) -> PredictServices:
    service = core.settings.model_service_name
    names = [i.hostport for i in core.discovery.table.instances(service)]
    return PredictServices.model_validate({"Services:": names, "services": names, "service": service})
