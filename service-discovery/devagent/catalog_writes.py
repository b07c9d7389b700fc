"""Low-level ``PUT /v1/catalog/register`` / ``deregister`` (contract §5), mostly for other nodes.

Entries written here are catalog-only: the agent does not run their checks (Consul's servers don't
either; another node's agent would).  On the agent's own node, Consul's anti-entropy would soon
restore what the agent owns, so agent-registered services/checks and the node record itself are
left as they are there; catalog-only entries on the own node are added/removed normally.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .agent import Agent
from .errors import ApiError
from .model import CRITICAL, Check, NodeInfo, Service
from .validation import validate_status

__all__ = ["catalog_deregister", "catalog_register"]


def _is_any(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_unspecified
    except ValueError:
        return False


def catalog_register(agent: Agent, body: dict[str, Any]) -> None:
    cat = agent.catalog
    node_name = body.get("Node", "")
    if not node_name:
        raise ApiError(500, "Must provide node")
    skip = body.get("SkipNodeUpdate", False)
    address = body.get("Address", "")
    if not address and not skip:
        raise ApiError(500, "Must provide address if SkipNodeUpdate is not set")
    service_body = body.get("Service")
    if service_body is not None:
        if not service_body.get("ID") and service_body.get("Service"):
            service_body["ID"] = service_body["Service"]
        if service_body.get("ID") and not service_body.get("Service"):
            raise ApiError(500, "Must provide service name with ID")
        if _is_any(service_body.get("Address", "")):
            raise ApiError(500, "Invalid service address")
    checks = list(body.get("Checks", []))
    if body.get("Check"):
        checks.append(body["Check"])
    for chk in checks:
        if chk.get("Node") and chk["Node"] != node_name:
            raise ApiError(500, "Check node does not match node in request")
        if chk.get("Status") and not validate_status(chk["Status"]):
            raise ApiError(500, f"Invalid check status: {chk['Status']!r}")
    local = node_name == cat.node.name
    if not local:
        if node_name not in cat.nodes and skip:
            raise ApiError(500, "Missing node registration")
        if not skip:
            cat.put_node(
                NodeInfo(
                    name=node_name,
                    node_id=body.get("ID", ""),
                    address=address,
                    datacenter=agent.config.datacenter,
                    meta=dict(body.get("NodeMeta", {})),
                    tagged=dict(body.get("TaggedAddresses", {})),
                )
            )
    node_attr = "" if local else node_name
    if service_body is not None and service_body.get("ID"):
        sid = service_body["ID"]
        if not (local and sid in agent.local_services):
            weights = service_body.get("Weights") or {"Passing": 1, "Warning": 1}
            cat.put_service(
                Service(
                    id=sid,
                    name=service_body["Service"],
                    node=node_attr,
                    tags=list(service_body.get("Tags", [])),
                    address=service_body.get("Address", ""),
                    tagged_addresses=service_body.get("TaggedAddresses", {}),
                    port=service_body.get("Port", 0),
                    socket_path=service_body.get("SocketPath", ""),
                    meta=dict(service_body.get("Meta", {})),
                    kind=service_body.get("Kind", ""),
                    weights={"Passing": weights.get("Passing", 1), "Warning": weights.get("Warning", 1)},
                    enable_tag_override=service_body.get("EnableTagOverride", False),
                    proxy=service_body.get("Proxy"),
                    connect=service_body.get("Connect"),
                    locality=service_body.get("Locality"),
                )
            )
    for chk in checks:
        check_id = chk.get("CheckID") or chk.get("Name", "")
        if not check_id or (local and check_id in agent.local_checks):
            continue
        service_id = chk.get("ServiceID", "")
        svc = cat.service_on(node_name, service_id) if service_id else None
        if service_id and svc is None:
            raise ApiError(500, f'Missing service registration: "{service_id}"')
        status = chk.get("Status") or CRITICAL
        cat.put_check(
            Check(
                check_id=check_id,
                name=chk.get("Name", ""),
                node=node_attr,
                type=chk.get("Type", ""),
                notes=chk.get("Notes", ""),
                service_id=service_id,
                service_name=svc.name if svc else "",
                definition=chk.get("Definition") if isinstance(chk.get("Definition"), dict) else {},
                status=status,
                output=chk.get("Output", ""),
                cat_status=status,
                cat_output=chk.get("Output", ""),
            )
        )


def catalog_deregister(agent: Agent, body: dict[str, Any]) -> None:
    cat = agent.catalog
    node_name = body.get("Node", "")
    if not node_name:
        raise ApiError(500, "Must provide node")
    local = node_name == cat.node.name
    node_attr = "" if local else node_name
    service_id, check_id = body.get("ServiceID", ""), body.get("CheckID", "")
    if service_id:
        if not (local and service_id in agent.local_services):
            cat.remove_service(service_id, node_attr)
    if check_id:
        if not (local and check_id in agent.local_checks):
            cat.remove_check(check_id, node_attr)
    if service_id or check_id:
        return
    if not local:
        cat.remove_node(node_name)
        return
    for svc in cat.node_services(node_name):
        if svc.id not in agent.local_services and svc.id != "consul":
            cat.remove_service(svc.id)
    for check in cat.checks_on_node(node_name):
        if check.check_id not in agent.local_checks and check.check_id != "serfHealth":
            cat.remove_check(check.check_id)
