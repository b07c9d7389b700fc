"""ACL enforcement around the handlers: what each endpoint requires, and filtering of what it reads.

Follows the "ACL Required" column of Consul's API docs (website/content/api-docs/*.mdx) and
Consul's filterACL: writes without permission are 403 ``Permission denied: ...``; reads of lists
drop what the token may not read and say so in ``X-Consul-Results-Filtered-By-ACLs``; reads of one
named object the token may not read are 403.  Runs only when ACLs are enabled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..acl import Authorizer
from ..agent import Agent
from ..jsonout import dumps
from .request import Request
from .response import Response

__all__ = ["post_filter", "pre_check"]

# Paths that never need a token (Consul does not resolve one for them).
EXEMPT = ("/v1/catalog/datacenters", "/ui", "/ui/", "/")


def exempt(pattern: str) -> bool:
    return pattern in EXEMPT or pattern.startswith("/v1/status/")


def _loose(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return {k.lower(): v for k, v in data.items()} if isinstance(data, dict) else {}


def _lower(obj: Any) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items()} if isinstance(obj, dict) else {}


async def pre_check(agent: Agent, req: Request, pattern: str, rest: str) -> None:
    """Raise PermissionDenied when the token may not do what this request asks."""
    authz = req.authz
    node = agent.catalog.node.name
    cat = agent.catalog
    method = req.method

    def service_write_by_id(service_id: str) -> None:
        svc = cat.services.get(service_id)
        if svc is not None:
            authz.require("service", svc.name, "write")

    def check_write(check_id: str) -> None:
        check = cat.checks.get(check_id)
        if check is None:
            return
        if check.service_id:
            service_write_by_id(check.service_id)
        else:
            authz.require("node", node, "write")

    if pattern == "/v1/agent/service/register":
        body = _loose(await req.body())
        name = body.get("name") or ""
        authz.require("service", str(name), "write")
        if _lower(body.get("connect")).get("sidecarservice") is not None:
            authz.require("service", f"{name}-sidecar-proxy", "write")
        if body.get("kind") == "connect-proxy":  # vetServiceRegister: a proxy writes for its destination
            destination = _lower(body.get("proxy")).get("destinationservicename")
            if destination:
                authz.require("service", str(destination), "write")
    elif pattern in ("/v1/agent/service/deregister/", "/v1/agent/service/maintenance/"):
        service_write_by_id(rest)
    elif pattern == "/v1/agent/maintenance":
        authz.require("node", node, "write")
    elif pattern == "/v1/agent/check/register":
        body = _loose(await req.body())
        service_id = body.get("serviceid") or body.get("service_id")
        if service_id:
            service_write_by_id(str(service_id))
        else:
            authz.require("node", node, "write")
    elif pattern.startswith("/v1/agent/check/"):
        check_write(rest)
    elif pattern == "/v1/agent/service/":
        svc = cat.services.get(rest)
        if svc is not None:
            authz.require("service", svc.name, "read")
    elif pattern == "/v1/agent/health/service/id/":
        svc = cat.services.get(rest)
        if svc is not None:
            authz.require("service", svc.name, "read")
    elif pattern == "/v1/agent/health/service/name/":
        authz.require("service", rest, "read")
    elif pattern in ("/v1/agent/self", "/v1/agent/metrics", "/v1/agent/monitor"):
        authz.require("agent", node, "read")
    elif pattern in ("/v1/agent/reload", "/v1/agent/leave"):
        authz.require("agent", node, "write")
    elif pattern == "/v1/agent/force-leave/":
        authz.require("operator", None, "write")
    elif pattern == "/v1/agent/token/":
        authz.require("acl", None, "write")
    elif pattern in ("/v1/catalog/register", "/v1/catalog/deregister"):
        body = _loose(await req.body())
        authz.require("node", str(body.get("node") or ""), "write")
        service = _lower(body.get("service"))
        if service.get("service"):
            authz.require("service", str(service["service"]), "write")
    elif pattern == "/v1/kv/":
        if method in ("PUT", "DELETE"):
            authz.require("key", rest, "write")
        elif not req.has("recurse") and not req.has("keys"):
            authz.require("key", rest, "read")
    elif pattern == "/v1/session/create":
        body = _loose(await req.body())
        authz.require("session", str(body.get("node") or node), "write")
    elif pattern in ("/v1/session/destroy/", "/v1/session/renew/"):
        session = agent.sessions.get(rest)
        if session is not None:
            authz.require("session", session.node, "write")


def _can_check(authz: Authorizer, item: dict[str, Any]) -> bool:
    if item.get("ServiceName"):
        return authz.allowed("service", item["ServiceName"], "read")
    return authz.allowed("node", item.get("Node", ""), "read")


def _filter_list(items: Any, keep: Callable[[Any], bool]) -> tuple[Any, bool]:
    if not isinstance(items, list):
        return items, False
    kept = [i for i in items if keep(i)]
    return kept, len(kept) != len(items)


def _filter_dict(items: Any, keep: Callable[[str, Any], bool]) -> tuple[Any, bool]:
    if not isinstance(items, dict):
        return items, False
    kept = {k: v for k, v in items.items() if keep(k, v)}
    return kept, len(kept) != len(items)


def post_filter(req: Request, pattern: str, response: Response) -> Response:
    """Drop from a read answer what the token may not read (Consul's filterACL)."""
    authz = req.authz
    if authz.unrestricted or response.status != 200 or req.method not in ("GET", "HEAD"):
        return response
    if response.headers.get("Content-Type") != "application/json" or not response.body:
        return response
    a = authz
    filters: dict[str, Callable[[Any], tuple[Any, bool]]] = {
        "/v1/agent/services": lambda d: _filter_dict(
            d, lambda _k, v: a.allowed("service", v["Service"], "read")
        ),
        "/v1/agent/checks": lambda d: _filter_dict(d, lambda _k, v: _can_check(a, v)),
        "/v1/agent/members": lambda d: _filter_list(
            d, lambda m: a.allowed("node", m.get("Name", ""), "read")
        ),
        "/v1/catalog/services": lambda d: _filter_dict(d, lambda k, _v: a.allowed("service", k, "read")),
        "/v1/catalog/service/": lambda d: _filter_list(d, lambda e: _service_node_ok(a, e)),
        "/v1/catalog/connect/": lambda d: _filter_list(d, lambda e: _service_node_ok(a, e)),
        "/v1/catalog/nodes": lambda d: _filter_list(d, lambda n: a.allowed("node", n["Node"], "read")),
        "/v1/catalog/node/": lambda d: _catalog_node(a, d),
        "/v1/health/service/": lambda d: _filter_list(d, lambda e: _health_entry_ok(a, e)),
        "/v1/health/connect/": lambda d: _filter_list(d, lambda e: _health_entry_ok(a, e)),
        "/v1/health/checks/": lambda d: _filter_list(d, lambda c: _can_check(a, c)),
        "/v1/health/state/": lambda d: _filter_list(d, lambda c: _can_check(a, c)),
        "/v1/health/node/": lambda d: _filter_list(d, lambda c: _can_check(a, c)),
        "/v1/kv/": lambda d: _filter_list(
            d, lambda e: a.allowed("key", e if isinstance(e, str) else e["Key"], "read")
        ),
        "/v1/session/info/": lambda d: _filter_list(d, lambda s: a.allowed("session", s["Node"], "read")),
        "/v1/session/list": lambda d: _filter_list(d, lambda s: a.allowed("session", s["Node"], "read")),
        "/v1/session/node/": lambda d: _filter_list(d, lambda s: a.allowed("session", s["Node"], "read")),
    }
    fn = filters.get(pattern)
    if fn is None:
        return response
    data, filtered = fn(json.loads(response.body))
    if filtered:
        response.body = dumps(data)
        if req.token():  # maskResultsFilteredByACLs: only authenticated callers learn that
            response.headers["X-Consul-Results-Filtered-By-Acls"] = "true"
    return response


def _service_node_ok(a: Authorizer, e: dict[str, Any]) -> bool:
    return a.allowed("service", e["ServiceName"], "read") and a.allowed("node", e["Node"], "read")


def _health_entry_ok(a: Authorizer, e: dict[str, Any]) -> bool:
    return a.allowed("service", e["Service"]["Service"], "read") and a.allowed(
        "node", e["Node"]["Node"], "read"
    )


def _catalog_node(a: Authorizer, d: Any) -> tuple[Any, bool]:
    if not isinstance(d, dict):
        return d, False
    if not a.allowed("node", d["Node"]["Node"], "read"):
        return None, True
    services, filtered = _filter_dict(d["Services"], lambda _k, v: a.allowed("service", v["Service"], "read"))
    return {**d, "Services": services}, filtered
