"""REST routes managing model replicas (the seed's ``/api/models/...`` container routes, fixed).

Mutating routes need the management bearer token. Only replicas carrying this gateway
stack's labels are ever touched; any other id is a 404 and nothing happens to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, Field

from ..security import IntrospectionAuth, ManagementAuth
from .errors import ReplicaError
from .manager import ReplicaManager
from .types import ReplicaInfo

__all__ = ["InstanceView", "InstancesResponse", "LaunchResponse", "ScaleRequest", "create_router"]

ModelName = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="model name, e.g. LinearRegression")
]
ReplicaId = Annotated[str, Path(min_length=1, max_length=128, description="container id (or prefix) or name")]


class InstanceView(BaseModel):
    id: str
    name: str
    status: str = Field(description="runtime state: running, restarting, exited, ...")
    image: str
    address: str | None = Field(description="address:port the gateway routes to")
    health: str = Field(description="passing (in the routing table) | not_passing | stopped")
    node: str | None = Field(default=None, description="swarm runtime: the node running the task")
    managed: bool = Field(
        default=True,
        description="launched by this stack (removable here); "
        "false: routed, started elsewhere (e.g. compose)",
    )


class InstancesResponse(BaseModel):
    model: str
    instances: list[InstanceView]


class LaunchResponse(BaseModel):
    status: str
    message: str
    container_id: str
    container_name: str
    model: str
    address: str | None
    launch_seconds: float


class RemoveResponse(BaseModel):
    status: str
    message: str
    container_id: str
    container_name: str


class ScaleRequest(BaseModel):
    replicas: int = Field(ge=0, description="wanted number of launched replicas of the model")


class ScaleResponse(InstancesResponse):
    replicas: int


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong bearer token"},
    403: {"description": "management disabled (GATEWAY_MANAGEMENT_TOKEN unset)"},
    404: {"description": "unknown model, or no replica of this gateway with that id"},
    503: {"description": "runtime unavailable (engine unreachable, image or network missing)"},
}


def create_router(get_manager: Callable[[], ReplicaManager]) -> APIRouter:
    router = APIRouter(tags=["replicas"])

    def manager() -> ReplicaManager:
        try:
            return get_manager()
        except ReplicaError as exc:
            raise HTTPException(exc.status_code, exc.message) from exc

    def view(m: ReplicaManager, r: ReplicaInfo) -> InstanceView:
        return InstanceView(
            id=r.id,
            name=r.name,
            status=r.status,
            image=r.image,
            address=r.hostport,
            health=m.health(r),
            node=r.node,
        )

    @router.post(
        "/api/models/launch/{model_name}",
        summary="Launch one replica; answers once it is passing and routed",
        dependencies=[ManagementAuth],
        responses={
            **_ERRORS,
            409: {"description": "per-model maximum reached"},
            502: {"description": "the replica exited while starting (removed)"},
            504: {"description": "not passing within REPLICA_LAUNCH_TIMEOUT (removed)"},
        },
    )
    async def launch(model_name: ModelName) -> LaunchResponse:
        m = manager()
        try:
            result = await m.launch(model_name)
        except ReplicaError as exc:
            raise HTTPException(exc.status_code, exc.message) from exc
        r = result.replica
        return LaunchResponse(
            status="success",
            message=f"Launched new instance for model: {r.model}",
            container_id=r.id,
            container_name=r.name,
            model=r.model,
            address=r.hostport,
            launch_seconds=round(result.seconds, 3),
        )

    @router.get(
        "/api/models/instances/{model_name}",
        summary="Replicas of a model",
        responses=_ERRORS,
        dependencies=[IntrospectionAuth],
    )
    async def instances(model_name: ModelName) -> InstancesResponse:
        m = manager()
        try:
            model = m.resolve(model_name)
            found = await m.instances(model)
        except ReplicaError as exc:
            raise HTTPException(exc.status_code, exc.message) from exc
        others = [
            InstanceView(
                id=i.id,
                name=i.id,
                status="running",
                image="",
                address=i.hostport,
                health=i.status,
                managed=False,
            )
            for i in m.unmanaged(model, found)
        ]
        return InstancesResponse(model=model, instances=[view(m, r) for r in found] + others)

    @router.delete(
        "/api/models/instances/{container_id}",
        summary="Stop (SIGTERM, the replica deregisters) and remove a replica of this gateway",
        dependencies=[ManagementAuth],
        responses=_ERRORS,
    )
    async def remove(container_id: ReplicaId) -> RemoveResponse:
        m = manager()
        try:
            info = await m.remove(container_id)
        except ReplicaError as exc:
            raise HTTPException(exc.status_code, exc.message) from exc
        return RemoveResponse(
            status="success",
            message=f"Stopped and removed instance: {info.name}",
            container_id=info.id,
            container_name=info.name,
        )

    @router.put(
        "/api/models/{model_name}/replicas",
        summary="Reconcile the number of launched replicas of a model",
        dependencies=[ManagementAuth],
        responses={**_ERRORS, 409: {"description": "more than the per-model maximum"}},
    )
    async def scale(model_name: ModelName, body: Annotated[ScaleRequest, Body()]) -> ScaleResponse:
        m = manager()
        try:
            found = await m.scale(model_name, body.replicas)
            model = m.resolve(model_name)
        except ReplicaError as exc:
            raise HTTPException(exc.status_code, exc.message) from exc
        return ScaleResponse(model=model, replicas=body.replicas, instances=[view(m, r) for r in found])

    return router
