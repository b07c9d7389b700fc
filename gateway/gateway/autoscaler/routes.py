"""``/api/models/{model_name}/autoscaling``: PUT (token) turns autoscaling on with a policy,
GET shows the policy and the leader's view, DELETE (token) turns it off."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, Field

from ..security import IntrospectionAuth, ManagementAuth
from .policy import AutoscalingPolicy

if TYPE_CHECKING:
    from .controller import Autoscaler

__all__ = ["AutoscalingView", "create_router"]

ModelName = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="model name, e.g. LinearRegression")
]


class AutoscalingView(BaseModel):
    model: str
    policy: AutoscalingPolicy
    effective_max_replicas: int = Field(description="max_replicas capped by REPLICA_MAX_PER_MODEL")
    runtime: str | None = Field(description="the replica runtime that launches (process, docker, ...)")
    this_instance_leads: bool = Field(description="whether the gateway instance answering is the one acting")
    status: dict[str, Any] | None = Field(
        description="the leader's last view: signal (in flight: stable/panic window averages, now, per "
        "replica), desired_replicas, replicas, launching, draining, panic, reason, last_decision, "
        "launch_failures, launched; null until the leader decided once"
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong bearer token"},
    403: {"description": "management disabled (GATEWAY_MANAGEMENT_TOKEN unset)"},
    404: {"description": "unknown model, or no autoscaling policy for it"},
    503: {"description": "replica management or Consul unavailable"},
}


def create_router(get_autoscaler: Callable[[], Autoscaler]) -> APIRouter:
    router = APIRouter(tags=["autoscaling"])

    def model_of(a: Autoscaler, model_name: str) -> str:
        replicas = a.core.replicas
        if replicas is None:
            raise HTTPException(503, "replica management is unavailable, so is autoscaling")
        name = replicas.resolve_model(model_name)
        if name is None:
            raise HTTPException(404, f"model_name: unknown model {model_name!r}")
        return name

    async def view(a: Autoscaler, model: str, policy: AutoscalingPolicy) -> AutoscalingView:
        replicas = a.core.replicas
        cap = replicas.max_per_model if replicas is not None else policy.max_replicas
        try:
            status = await a.view(model)
        except Exception as exc:  # Consul unreachable: the policy is still worth showing
            status = {"error": f"state unavailable: {exc}"}
        return AutoscalingView(
            model=model,
            policy=policy,
            effective_max_replicas=min(policy.max_replicas, cap),
            runtime=replicas.kind if replicas is not None else None,
            this_instance_leads=a.is_leader,
            status=status,
        )

    async def stored(a: Autoscaler, model: str) -> AutoscalingPolicy:
        try:
            policy = await a.store.get_policy(model)
        except Exception as exc:
            raise HTTPException(503, f"Consul KV unavailable: {exc}") from exc
        if policy is None:
            raise HTTPException(404, f"model_name: no autoscaling policy for model {model!r}")
        return policy

    @router.put(
        "/api/models/{model_name}/autoscaling",
        summary="Autoscale a model's replicas with this policy (missing fields take their defaults)",
        dependencies=[ManagementAuth],
        responses={**_ERRORS, 422: {"description": "invalid policy (the message names the field)"}},
    )
    async def put_policy(
        model_name: ModelName, policy: Annotated[AutoscalingPolicy, Body()]
    ) -> AutoscalingView:
        a = get_autoscaler()
        model = model_of(a, model_name)
        try:
            await a.store.put_policy(model, policy)
        except Exception as exc:
            raise HTTPException(503, f"Consul KV unavailable: {exc}") from exc
        a.set_policy(model, policy)
        return await view(a, model, policy)

    @router.get(
        "/api/models/{model_name}/autoscaling",
        summary="A model's autoscaling policy, signal, desired and actual replicas, last decision",
        dependencies=[
            IntrospectionAuth
        ],  # names replicas: behind the token with GATEWAY_PROTECT_INTROSPECTION
        responses=_ERRORS,
    )
    async def get_policy(model_name: ModelName) -> AutoscalingView:
        a = get_autoscaler()
        model = model_of(a, model_name)
        return await view(a, model, await stored(a, model))

    @router.delete(
        "/api/models/{model_name}/autoscaling",
        summary="Stop autoscaling a model (its replicas stay as they are)",
        dependencies=[ManagementAuth],
        responses=_ERRORS,
    )
    async def delete_policy(model_name: ModelName) -> dict[str, str]:
        a = get_autoscaler()
        model = model_of(a, model_name)
        await stored(a, model)
        try:
            await a.store.delete_policy(model)
        except Exception as exc:
            raise HTTPException(503, f"Consul KV unavailable: {exc}") from exc
        a.set_policy(model, None)
        return {"model": model, "status": "autoscaling off"}

    return router
