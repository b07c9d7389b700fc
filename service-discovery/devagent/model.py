"""In-memory records: the node, service instances, checks and KV entries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "KVEntry", "NodeInfo", "Service", "PASSING", "WARNING", "CRITICAL", "STATUSES"]

PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"
STATUSES = (PASSING, WARNING, CRITICAL)


@dataclass
class NodeInfo:
    name: str
    node_id: str
    address: str
    datacenter: str
    meta: dict[str, str]
    create_index: int = 1
    modify_index: int = 1
    tagged: dict[str, str] | None = None  # None = the agent node's lan/wan defaults

    def tagged_addresses(self) -> dict[str, str]:
        if self.tagged is not None:
            return dict(self.tagged)
        return {"lan": self.address, "lan_ipv4": self.address, "wan": self.address, "wan_ipv4": self.address}


@dataclass
class Service:
    """A registered service instance (NodeService)."""

    id: str
    name: str
    node: str = ""  # "" = the agent's own node; other nodes come from /v1/catalog/register
    tags: list[str] = field(default_factory=list)
    address: str = ""
    tagged_addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    port: int = 0
    socket_path: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    kind: str = ""
    weights: dict[str, int] = field(default_factory=lambda: {"Passing": 1, "Warning": 1})
    enable_tag_override: bool = False
    proxy: Any = None
    connect: Any = None
    locality: dict[str, str] | None = None
    create_index: int = 0
    modify_index: int = 0

    def same_definition(self, other: Service) -> bool:
        """True when nothing visible in the catalog differs (re-registration need not bump the index)."""
        return (
            self.name,
            self.tags,
            self.address,
            self.tagged_addresses,
            self.port,
            self.socket_path,
            self.meta,
            self.kind,
            self.weights,
            self.enable_tag_override,
            self.proxy,
            self.connect,
            self.locality,
        ) == (
            other.name,
            other.tags,
            other.address,
            other.tagged_addresses,
            other.port,
            other.socket_path,
            other.meta,
            other.kind,
            other.weights,
            other.enable_tag_override,
            other.proxy,
            other.connect,
            other.locality,
        )


@dataclass
class Check:
    """A health check: its definition, live (agent) state and last synced (catalog) state."""

    check_id: str
    name: str
    node: str = ""  # "" = the agent's own node
    type: str = ""
    notes: str = ""
    service_id: str = ""
    service_name: str = ""
    interval_ns: int = 0
    timeout_ns: int = 0
    ttl_ns: int = 0
    deregister_after_ns: int = 0
    definition: dict[str, Any] = field(default_factory=dict)  # decoded CheckType fields
    status: str = CRITICAL
    output: str = ""
    cat_status: str = CRITICAL
    cat_output: str = ""
    create_index: int = 0
    modify_index: int = 0
    # runtime (not part of the API shape)
    critical_since: float | None = None
    runner: asyncio.Task[None] | None = None
    ttl_timer: asyncio.TimerHandle | None = None
    sync_timer: asyncio.TimerHandle | None = None
    successes: int = 0
    failures: int = 0

    def same_definition(self, other: Check) -> bool:
        return (self.name, self.type, self.notes, self.service_id, self.definition) == (
            other.name,
            other.type,
            other.notes,
            other.service_id,
            other.definition,
        )


@dataclass
class KVEntry:
    key: str
    value: bytes
    flags: int
    create_index: int
    modify_index: int
    lock_index: int = 0
    session: str = ""
