"""``GET /api/routes``: the routing table as the gateway uses it (the dashboard's data)."""

from __future__ import annotations

from fastapi import APIRouter

from ..core import GatewayCore
from ..security import IntrospectionAuth
from .deps import CoreDep
from .schemas import DeclarationError, DeclaredRouteView, InstanceView, PolicyView, RoutesView, ServiceView

__all__ = ["router", "routes_view"]

router = APIRouter(tags=["gateway"])


def routes_view(core: GatewayCore) -> RoutesView:
    table = core.discovery.table
    routes = core.routes
    status = core.discovery.status()
    inflight = core.balancer.inflight
    services = []
    for name in table.names():
        insts = table.instances(name)
        ejected = core.ejector.ejected_ids(insts)
        services.append(
            ServiceView(
                name=name,
                balancer=core.balancer.policy(name, insts),
                ejected=ejected,
                instances=[
                    InstanceView(**i.to_dict(), in_flight=inflight.get(i.id), ejected=i.id in ejected)
                    for i in insts
                ],
            )
        )
    return RoutesView(
        discovery=status["discovery"],
        table_age_s=status["table_age_s"],
        table_built_s_ago=status["table_built_s_ago"],
        table_index=status["table_index"],
        default_balancer=core.balancer.default,
        services=services,
        routes=[DeclaredRouteView(**r.to_dict()) for r in routes.prefixes.routes],
        policies={
            name: PolicyView(**rules.to_dict(), in_flight=core.limits.in_flight(name))
            for name, rules in sorted(routes.rules.items())
        },
        errors=[DeclarationError(**e.to_dict()) for e in routes.errors],
        details=status,
    )


@router.get(
    "/api/routes",
    summary="Routing table: services, instances, balancer, ejected, table age",
    dependencies=[IntrospectionAuth],
)
async def get_routes(core: CoreDep) -> RoutesView:
    return routes_view(core)
