"""Validation rules applied to registrations, with Consul's exact messages."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .errors import ApiError
from .model import STATUSES

__all__ = [
    "SUPPORTED_TYPES",
    "check_type_name",
    "default_tagged_addresses",
    "validate_check_type",
    "validate_meta",
    "validate_weights",
]

_META_KEY = re.compile(r"^[a-zA-Z0-9_-]+$")
SUPPORTED_TYPES = ("http", "tcp", "ttl", "script", "")


def _is_interval_check(ct: dict[str, Any]) -> bool:
    return any(ct.get(k) for k in ("ScriptArgs", "HTTP", "TCP", "UDP", "GRPC", "H2PING", "OSService"))


def validate_check_type(ct: dict[str, Any]) -> str | None:
    """CheckType.Validate(): the first failing rule's message, or None."""
    interval = ct.get("Interval", 0)
    ttl = ct.get("TTL", 0)
    is_alias = bool(ct.get("AliasService") or ct.get("AliasNode"))
    interval_check = _is_interval_check(ct)
    if interval > 0 and ttl > 0:
        return "Interval and TTL cannot both be specified"
    if interval_check and interval <= 0:
        return "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks"
    if is_alias:
        if interval != 0:
            return "Interval cannot be set for Alias checks"
        if ttl != 0:
            return "TTL must be not be set for Alias checks"
    if not interval_check and not is_alias and ttl <= 0:
        return "TTL must be > 0 for TTL checks"
    if ct.get("OutputMaxSize", 0) < 0:
        return "MaxOutputMaxSize must be positive"
    if ct.get("FailuresBeforeWarning", 0) > ct.get("FailuresBeforeCritical", 0):
        return "FailuresBeforeWarning can't be higher than FailuresBeforeCritical"
    return None


def check_type_name(ct: dict[str, Any]) -> str:
    """CheckType.Type() order: grpc, http, ttl, tcp, udp, alias, docker, script, h2ping, os_service."""
    interval = ct.get("Interval", 0) > 0
    if ct.get("GRPC") and interval:
        return "grpc"
    if ct.get("HTTP") and interval:
        return "http"
    if ct.get("TTL", 0) > 0:
        return "ttl"
    if ct.get("TCP") and interval:
        return "tcp"
    if ct.get("UDP") and interval:
        return "udp"
    if ct.get("AliasService") or ct.get("AliasNode"):
        return "alias"
    if ct.get("DockerContainerID") and ct.get("ScriptArgs") and interval:
        return "docker"
    if ct.get("ScriptArgs") and interval:
        return "script"
    if ct.get("H2PING") and interval:
        return "h2ping"
    if ct.get("OSService") and interval:
        return "os_service"
    return ""


def validate_status(status: str) -> bool:
    return status in STATUSES


def validate_weights(weights: dict[str, int]) -> None:
    passing, warning = weights.get("Passing", 0), weights.get("Warning", 0)
    if passing < 1:
        raise ApiError(400, "Invalid Weights: Passing must be greater than 0")
    if warning < 0:
        raise ApiError(400, "Invalid Weights: Warning must be greater or equal than 0")
    if passing > 65535 or warning > 65535:
        raise ApiError(400, "Invalid Weights: DNS Weight must be between 0 and 65535")


def validate_meta(meta: dict[str, str]) -> None:
    if len(meta) > 64:
        raise ApiError(400, "Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs")
    for key, value in meta.items():
        reason = None
        if key == "":
            reason = "Key cannot be blank"
        elif not _META_KEY.match(key):
            reason = "Key contains invalid characters"
        elif len(key) > 128:
            reason = "Key is too long (limit: 128 characters)"
        elif key.startswith("consul-"):
            reason = "Key prefix 'consul-' is reserved for internal use"
        elif len(value) > 512:
            reason = "Value is too long (limit: 512 characters)"
        if reason:
            raise ApiError(
                400, f"Invalid Service Meta: Couldn't load metadata pair ('{key}', '{value}'): {reason}"
            )


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def default_tagged_addresses(
    address: str, port: int, given: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Validate explicit lan/wan ipv4/ipv6 entries, then add defaults for an IP-literal Address."""
    out = {k: {"Address": v.get("Address", ""), "Port": v.get("Port", 0)} for k, v in given.items()}
    for key, version in (("lan_ipv4", 4), ("wan_ipv4", 4), ("lan_ipv6", 6), ("wan_ipv6", 6)):
        if key in out:
            ip = _ip(out[key]["Address"])
            if ip is None or ip.version != version:
                raise ApiError(500, f'Service tagged address "{key}" must be a valid ipv{version} address')
    ip = _ip(address)
    if ip is not None:
        keys = ("lan_ipv4", "wan_ipv4") if ip.version == 4 else ("lan_ipv6", "wan_ipv6")
        for key in keys:
            out.setdefault(key, {"Address": address, "Port": port})
    return out
