"""Route table: which handler serves which Consul path and methods."""

from __future__ import annotations

from ...agent import Agent
from ..render import Renderer
from ..router import Router
from .acl import ACLEndpoints
from .agent_checks import AgentChecks
from .agent_info import AgentInfo
from .agent_ops import AgentOps
from .agent_services import AgentServices
from .catalog import CatalogEndpoints
from .catalog_write import CatalogWrites
from .health import HealthEndpoints
from .kv import KVEndpoints
from .mesh import MeshEndpoints
from .session import SessionEndpoints
from .txn import TxnEndpoints
from .ui import UIEndpoints

__all__ = ["register_routes"]

GET = ("GET",)
PUT = ("PUT",)


def register_routes(router: Router, agent: Agent, renderer: Renderer) -> None:
    svc = AgentServices(agent)
    router.add("/v1/agent/service/register", PUT, svc.register)
    router.add("/v1/agent/service/deregister/", PUT, svc.deregister)
    router.add("/v1/agent/service/maintenance/", PUT, svc.maintenance)
    router.add("/v1/agent/service/", GET, svc.get)
    router.add("/v1/agent/services", GET, svc.list_)
    router.add("/v1/agent/maintenance", PUT, svc.node_maintenance)
    router.add("/v1/agent/health/service/id/", GET, svc.health_by_id)
    router.add("/v1/agent/health/service/name/", GET, svc.health_by_name)

    chk = AgentChecks(agent)
    router.add("/v1/agent/checks", GET, chk.list_)
    router.add("/v1/agent/check/register", PUT, chk.register)
    router.add("/v1/agent/check/deregister/", PUT, chk.deregister)
    router.add("/v1/agent/check/pass/", PUT, chk.pass_)
    router.add("/v1/agent/check/warn/", PUT, chk.warn)
    router.add("/v1/agent/check/fail/", PUT, chk.fail)
    router.add("/v1/agent/check/update/", PUT, chk.update)

    info = AgentInfo(agent)
    router.add("/v1/agent/self", GET, info.self_)
    router.add("/v1/agent/members", GET, info.members)
    router.add("/v1/status/leader", GET, info.leader)
    router.add("/v1/status/peers", GET, info.peers)
    router.add("/v1/catalog/datacenters", GET, info.datacenters)
    if agent.acl is None:
        router.add("/v1/acl/", ("GET", "PUT", "POST", "DELETE"), info.acl_disabled)
        router.add("/v1/agent/token/", PUT, info.acl_disabled)
    else:
        acl = ACLEndpoints(agent)
        router.add("/v1/acl/", ("GET", "PUT", "DELETE"), acl.handle)
        router.add("/v1/agent/token/", PUT, acl.agent_token)

    ops = AgentOps(agent)
    router.add("/v1/agent/metrics", GET, ops.metrics)
    router.add("/v1/agent/reload", PUT, ops.reload)
    router.add("/v1/agent/leave", PUT, ops.leave)
    router.add("/v1/agent/force-leave/", PUT, ops.force_leave)
    router.add("/v1/agent/monitor", GET, ops.monitor)

    health = HealthEndpoints(agent, renderer)
    router.add("/v1/health/service/", GET, health.service)
    router.add("/v1/health/checks/", GET, health.checks)
    router.add("/v1/health/state/", GET, health.state)
    router.add("/v1/health/node/", GET, health.node)

    cat = CatalogEndpoints(agent, renderer)
    router.add("/v1/catalog/services", GET, cat.services)
    router.add("/v1/catalog/service/", GET, cat.service)
    router.add("/v1/catalog/nodes", GET, cat.nodes)
    router.add("/v1/catalog/node/", GET, cat.node)
    writes = CatalogWrites(agent)
    router.add("/v1/catalog/register", PUT, writes.register)
    router.add("/v1/catalog/deregister", PUT, writes.deregister)

    mesh = MeshEndpoints(agent, renderer)
    router.add("/v1/health/connect/", GET, mesh.health_connect)
    router.add("/v1/health/ingress/", GET, mesh.empty)
    router.add("/v1/catalog/connect/", GET, mesh.catalog_connect)
    router.add("/v1/catalog/gateway-services/", GET, mesh.empty)

    kv = KVEndpoints(agent)
    router.add("/v1/kv/", ("GET", "PUT", "DELETE"), kv.handle)

    sessions = SessionEndpoints(agent)
    router.add("/v1/session/create", PUT, sessions.create)
    router.add("/v1/session/destroy/", PUT, sessions.destroy)
    router.add("/v1/session/renew/", PUT, sessions.renew)
    router.add("/v1/session/info/", GET, sessions.info)
    router.add("/v1/session/list", GET, sessions.list_)
    router.add("/v1/session/node/", GET, sessions.node)

    router.add("/v1/txn", PUT, TxnEndpoints(agent).txn)

    ui = UIEndpoints(agent)
    router.add("/", GET, ui.root)
    router.add("/ui", GET, ui.page)
    router.add("/ui/", GET, ui.page)
