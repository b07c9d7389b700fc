"""Which literal hosts a flow node may call (SSRF guard), checked when a flow is defined.

A node normally names a *service* and goes through discovery. A node with ``host`` calls that
address directly, and anyone may run a flow and read the node's answer; so:

* never: link-local addresses (169.254.0.0/16 with the cloud metadata services, fe80::/10),
  metadata host names, unspecified/multicast addresses, the Consul agent and the gateway
  itself (on any loopback spelling of their address);
* other literal hosts only when ``GATEWAY_FLOW_HOSTS`` allows them (host names, ``*.suffix``,
  IP addresses or CIDR ranges; ``*`` for any). Empty by default: flows use service names.

Legacy IPv4 spellings (``2852039166``, ``0xA9FEA9FE``, ``169.254.43518``) are normalized the
way the resolver would read them before any check. The policy is process-wide: the flows
extension sets it from the settings at start-up, and ``FlowDefinition`` validation (files,
``PUT /api/flows``, KV) applies it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["HostPolicy", "current_host_policy", "set_host_policy"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "169.254.170.2")
)
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _address(host: str) -> IPAddress | None:
    """``host`` as an IP address, including the legacy IPv4 forms ``inet_aton`` accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _normalize(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _is_local(host: str, addr: IPAddress | None) -> bool:
    return host in _LOCAL_NAMES or (addr is not None and (addr.is_loopback or addr.is_unspecified))


@dataclass(frozen=True)
class HostPolicy:
    allowed: tuple[str, ...] = ()  # host names, "*.suffix", addresses, CIDRs; "*" = any
    denied: frozenset[tuple[str, int]] = field(default_factory=frozenset)  # Consul, the gateway

    @classmethod
    def build(
        cls,
        allowed: list[str] | tuple[str, ...],
        *,
        consul_url: str | None = None,
        own_endpoints: list[tuple[str, int]] | tuple[tuple[str, int], ...] = (),
    ) -> HostPolicy:
        denied = {(_normalize(h), p) for h, p in own_endpoints}
        if consul_url:
            parts = urlsplit(consul_url if "//" in consul_url else f"http://{consul_url}")
            if parts.hostname:
                denied.add((_normalize(parts.hostname), parts.port or 8500))
        return cls(tuple(a.strip().lower() for a in allowed if a.strip()), frozenset(denied))

    def refusal(self, host: str, port: int | None) -> str | None:
        """Why a node may not call ``host:port``, or None when it may."""
        name = _normalize(host)
        addr = _address(name)
        if name in METADATA_NAMES or (addr is not None and addr in METADATA_ADDRESSES):
            return f"host {host!r} is a cloud metadata service"
        if (
            addr is not None
            and not addr.is_loopback
            and (addr.is_link_local or addr.is_multicast or addr.is_reserved)
        ):
            return f"host {host!r} is a link-local, multicast or reserved address"
        if addr is not None and addr.is_unspecified:
            return f"host {host!r} is the unspecified address"
        effective_port = port or 80
        for denied_host, denied_port in self.denied:
            if effective_port != denied_port:
                continue
            denied_addr = _address(denied_host)
            same = name == denied_host or (addr is not None and addr == denied_addr)
            if same or (
                _is_local(name, addr) and (_is_local(denied_host, denied_addr) or denied_addr is None)
            ):
                return f"host {host}:{effective_port} is the Consul agent or the gateway itself"
        if not self._allowed(name, addr):
            return (
                f"literal host {host!r} is not in GATEWAY_FLOW_HOSTS; name a service (discovery) "
                "or add the host to the allowlist"
            )
        return None

    def _allowed(self, name: str, addr: IPAddress | None) -> bool:
        for entry in self.allowed:
            if entry == "*" or entry == name:
                return True
            if entry.startswith("*.") and name.endswith(entry[1:]):
                return True
            if addr is not None and ("/" in entry or _address(entry) is not None):
                try:
                    if addr in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False


_policy = HostPolicy()


def set_host_policy(policy: HostPolicy) -> None:
    global _policy
    _policy = policy


def current_host_policy() -> HostPolicy:
    return _policy
