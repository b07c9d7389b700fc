"""JSON shapes of Consul's API objects (Node, NodeService, AgentService, HealthCheck, ServiceNode)."""

from __future__ import annotations

import hashlib
from typing import Any

from servicekit.durations import format_duration

from .model import Check, NodeInfo, Service

__all__ = [
    "agent_service",
    "check_json",
    "content_hash",
    "health_entry",
    "node_json",
    "node_service",
    "service_node",
]

_EMPTY_PROXY: dict[str, Any] = {"Mode": "", "MeshGateway": {}, "Expose": {}}

# Definition sub-fields are omitempty in Consul's HealthCheckDefinition.
_DEFINITION_FIELDS = (
    "HTTP",
    "TLSServerName",
    "TLSSkipVerify",
    "Header",
    "Method",
    "Body",
    "DisableRedirects",
    "TCP",
    "TCPUseTLS",
    "UDP",
    "H2PING",
    "H2PingUseTLS",
    "GRPC",
    "GRPCUseTLS",
    "OSService",
    "Interval",
    "OutputMaxSize",
    "Timeout",
    "DeregisterCriticalServiceAfter",
    "ScriptArgs",
    "DockerContainerID",
    "Shell",
    "AliasNode",
    "AliasService",
    "TTL",
)
# Consul's HealthCheckDefinition.MarshalJSON renders these three as strings; TTL stays a
# time.Duration and so goes out as a number of nanoseconds.
_DURATIONS = ("Interval", "Timeout", "DeregisterCriticalServiceAfter")


def node_json(node: NodeInfo) -> dict[str, Any]:
    return {
        "ID": node.node_id,
        "Node": node.name,
        "Address": node.address,
        "Datacenter": node.datacenter,
        "TaggedAddresses": node.tagged_addresses(),
        "Meta": dict(node.meta),
        "CreateIndex": node.create_index,
        "ModifyIndex": node.modify_index,
    }


def _definition(check: Check) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _DEFINITION_FIELDS:
        value = check.definition.get(key)
        if not value:
            continue
        out[key] = format_duration(value) if key in _DURATIONS else value
    return out


def check_json(check: Check, node_name: str, tags: list[str], catalog: bool) -> dict[str, Any]:
    """HealthCheck; ``catalog`` selects the synced status/output instead of the live agent view."""
    return {
        "Node": node_name,
        "CheckID": check.check_id,
        "Name": check.name,
        "Status": check.cat_status if catalog else check.status,
        "Notes": check.notes,
        "Output": check.cat_output if catalog else check.output,
        "ServiceID": check.service_id,
        "ServiceName": check.service_name,
        "ServiceTags": list(tags),
        "Type": check.type,
        "Interval": format_duration(check.interval_ns) if check.interval_ns else "",
        "Timeout": format_duration(check.timeout_ns) if check.timeout_ns else "",
        "ExposedPort": 0,
        "Definition": _definition(check),
        "CreateIndex": check.create_index,
        "ModifyIndex": check.modify_index,
    }


def _weights(svc: Service) -> dict[str, int]:
    passing = svc.weights.get("Passing", 1) or 1
    return {"Passing": passing, "Warning": svc.weights.get("Warning", 1)}


def node_service(svc: Service) -> dict[str, Any]:
    """NodeService as in health entries and catalog/node (Port omitted when 0)."""
    out: dict[str, Any] = {}
    if svc.kind:
        out["Kind"] = svc.kind
    out.update({"ID": svc.id, "Service": svc.name, "Tags": list(svc.tags), "Address": svc.address})
    if svc.tagged_addresses:
        out["TaggedAddresses"] = svc.tagged_addresses
    out["Meta"] = dict(svc.meta)
    if svc.port:
        out["Port"] = svc.port
    if svc.socket_path:
        out["SocketPath"] = svc.socket_path
    out["Weights"] = _weights(svc)
    out["EnableTagOverride"] = svc.enable_tag_override
    out["Proxy"] = svc.proxy if isinstance(svc.proxy, dict) else dict(_EMPTY_PROXY)
    out["Connect"] = svc.connect if isinstance(svc.connect, dict) else {}
    if svc.locality:
        out["Locality"] = svc.locality
    out["CreateIndex"] = svc.create_index
    out["ModifyIndex"] = svc.modify_index
    return out


def agent_service(svc: Service, datacenter: str) -> dict[str, Any]:
    """AgentService as in /v1/agent/services."""
    out: dict[str, Any] = {}
    if svc.kind:
        out["Kind"] = svc.kind
    out.update(
        {
            "ID": svc.id,
            "Service": svc.name,
            "Tags": list(svc.tags),
            "Meta": dict(svc.meta),
            "Port": svc.port,
            "Address": svc.address,
        }
    )
    if svc.socket_path:
        out["SocketPath"] = svc.socket_path
    if svc.tagged_addresses:
        out["TaggedAddresses"] = svc.tagged_addresses
    out["Weights"] = _weights(svc)
    out["EnableTagOverride"] = svc.enable_tag_override
    if svc.proxy and svc.kind:
        out["Proxy"] = svc.proxy
    if isinstance(svc.connect, dict) and svc.connect.get("Native"):
        out["Connect"] = svc.connect
    if svc.locality:
        out["Locality"] = svc.locality
    out["Datacenter"] = datacenter
    return out


def content_hash(obj: dict[str, Any]) -> str:
    """Stable 16-hex-digit hash for hash-based blocking on /v1/agent/service/:id."""
    digest = hashlib.blake2b(repr(sorted(obj.items())).encode(), digest_size=8)
    return digest.hexdigest()


def health_entry(node: NodeInfo, svc: Service, checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Node": node_json(node), "Service": node_service(svc), "Checks": checks}


def service_node(node: NodeInfo, svc: Service) -> dict[str, Any]:
    """Flattened ServiceNode as in /v1/catalog/service/:name."""
    out: dict[str, Any] = {
        "ID": node.node_id,
        "Node": node.name,
        "Address": node.address,
        "Datacenter": node.datacenter,
        "TaggedAddresses": node.tagged_addresses(),
        "NodeMeta": dict(node.meta),
        "ServiceKind": svc.kind,
        "ServiceID": svc.id,
        "ServiceName": svc.name,
        "ServiceTags": list(svc.tags),
        "ServiceAddress": svc.address,
    }
    if svc.tagged_addresses:
        out["ServiceTaggedAddresses"] = svc.tagged_addresses
    out.update(
        {
            "ServiceWeights": _weights(svc),
            "ServiceMeta": dict(svc.meta),
            "ServicePort": svc.port,
            "ServiceSocketPath": svc.socket_path,
            "ServiceEnableTagOverride": svc.enable_tag_override,
            "ServiceProxy": svc.proxy if isinstance(svc.proxy, dict) else dict(_EMPTY_PROXY),
            "ServiceConnect": svc.connect if isinstance(svc.connect, dict) else {},
            "ServiceLocality": svc.locality,
            "CreateIndex": svc.create_index,
            "ModifyIndex": svc.modify_index,
        }
    )
    return out
