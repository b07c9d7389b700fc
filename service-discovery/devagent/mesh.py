"""Mesh registrations without a mesh: connect-proxy services and sidecars are stored and listed.

Follows Consul's structs.NodeService.Validate (connect-proxy needs a destination and a port) and
agent/sidecar_service.go (the ``<id>-sidecar-proxy`` registration: connect-proxy kind, ports from
21000-21255, a TCP "Connect Sidecar Listening" check and an alias check on the parent).  Nothing
runs Envoy, so a sidecar's TCP check stays critical unless something listens on its port, as in
Consul without Envoy.
"""

from __future__ import annotations

from typing import Any

from .catalog import Catalog
from .decode import decode_object
from .errors import ApiError
from .model import Service
from .schemas import SERVICE_DEFINITION

__all__ = [
    "connect_instances",
    "CONNECT_PROXY",
    "SIDECAR_MAX_PORT",
    "SIDECAR_MIN_PORT",
    "sidecar_registration",
    "validate_kind",
]

CONNECT_PROXY = "connect-proxy"
KINDS = ("", CONNECT_PROXY, "mesh-gateway", "terminating-gateway", "ingress-gateway", "api-gateway")
SIDECAR_MIN_PORT = 21000  # sidecar_min_port / sidecar_max_port defaults
SIDECAR_MAX_PORT = 21255


def _get(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict):
        return None
    for key, value in obj.items():
        if key.lower().replace("_", "") == name.lower():
            return value
    return None


def validate_kind(body: dict[str, Any]) -> None:
    """The checks of NodeService.Validate that apply to a single-node agent (400 Validation failed)."""
    kind = body.get("Kind", "")
    if kind not in KINDS:
        raise ApiError(400, f'Invalid service kind: "{kind}"')
    if kind == CONNECT_PROXY:
        if not _get(body.get("Proxy"), "DestinationServiceName"):
            raise ApiError(
                400,
                "Validation failed: Proxy.DestinationServiceName must be non-empty for "
                "Connect proxy services",
            )
        if not body.get("Port") and not body.get("SocketPath"):
            raise ApiError(400, "Validation failed: Port or SocketPath must be set for a Connect proxy")
        if _get(body.get("Connect"), "Native"):
            raise ApiError(
                400, "Validation failed: A Proxy cannot also be Connect Native, only typical services"
            )


def sidecar_registration(body: dict[str, Any], used_ports: set[int]) -> dict[str, Any] | None:
    """Take ``Connect.SidecarService`` out of ``body`` and return the sidecar's own registration."""
    connect = body.get("Connect")
    if not isinstance(connect, dict):
        return None
    key = next((k for k in connect if k.lower().replace("_", "") == "sidecarservice"), None)
    if key is None:
        return None
    raw = connect.pop(key)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError(
            400, "Request decode failed: json: cannot unmarshal into Go struct field SidecarService"
        )
    sidecar = decode_object(raw, SERVICE_DEFINITION)
    if _get(sidecar.get("Connect"), "SidecarService") is not None:
        raise ApiError(400, "Invalid SidecarService: SidecarService can't have a nested SidecarService")
    parent_id = body.get("ID") or body.get("Name", "")
    sidecar.setdefault("ID", f"{parent_id}-sidecar-proxy")
    sidecar.setdefault("Name", f"{body.get('Name', '')}-sidecar-proxy")
    sidecar["Kind"] = CONNECT_PROXY
    if not sidecar.get("Tags") and body.get("Tags"):
        sidecar["Tags"] = list(body["Tags"])
    if not sidecar.get("Meta") and body.get("Meta"):
        sidecar["Meta"] = dict(body["Meta"])
    proxy = dict(sidecar.get("Proxy") or {})
    proxy["DestinationServiceName"] = body.get("Name", "")
    proxy["DestinationServiceID"] = parent_id
    proxy.setdefault("LocalServiceAddress", "127.0.0.1")
    if body.get("Port"):
        proxy.setdefault("LocalServicePort", body["Port"])
    sidecar["Proxy"] = proxy
    if not sidecar.get("Port"):
        free = next((p for p in range(SIDECAR_MIN_PORT, SIDECAR_MAX_PORT + 1) if p not in used_ports), None)
        if free is None:
            raise ApiError(500, "No sidecar ports available in range 21000-21255")
        sidecar["Port"] = free
    if not sidecar.get("Check") and not sidecar.get("Checks"):
        address = sidecar.get("Address") or body.get("Address") or "127.0.0.1"
        sidecar["Checks"] = [
            {
                "Name": "Connect Sidecar Listening",
                "TCP": f"{address}:{sidecar['Port']}",
                "Interval": 10 * 10**9,
            },
            {"Name": f"Connect Sidecar Aliasing {parent_id}", "AliasService": parent_id},
        ]
    return sidecar


def connect_instances(catalog: Catalog, name: str) -> list[Service]:
    """Instances that serve ``name`` in the mesh: its connect-proxies and Connect-native instances."""
    out: list[Service] = []
    for group_name in sorted(catalog.by_name):
        for svc in catalog.instances(group_name):
            if svc.kind == CONNECT_PROXY and _get(svc.proxy, "DestinationServiceName") == name:
                out.append(svc)
            elif group_name == name and not svc.kind and _get(svc.connect, "Native"):
                out.append(svc)
    return out
