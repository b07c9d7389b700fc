"""The routing table: an immutable snapshot of every routable service, swapped whole."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .instance import Instance

__all__ = ["RoutingTable"]

_NONE: tuple[Instance, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """service name → passing instances; ``index`` is the highest Consul index seen.

    Readers take ``discovery.table`` once and use that object: it never changes, so a
    request sees one consistent view without locks.
    """

    services: Mapping[str, tuple[Instance, ...]] = field(default_factory=lambda: MappingProxyType({}))
    index: int = 0
    updated_at: float = field(default_factory=time.monotonic)
    updated_wall: float = field(default_factory=time.time)

    @classmethod
    def build(cls, services: Mapping[str, tuple[Instance, ...]], index: int) -> RoutingTable:
        return cls(services=MappingProxyType(dict(services)), index=index)

    def instances(self, service: str) -> tuple[Instance, ...]:
        """Passing instances of ``service`` (empty for an unknown service)."""
        return self.services.get(service, _NONE)

    def names(self) -> list[str]:
        return sorted(self.services)

    @property
    def service_count(self) -> int:
        return len(self.services)

    @property
    def instance_count(self) -> int:
        return sum(len(v) for v in self.services.values())

    def age(self) -> float:
        """Seconds since this table was built."""
        return time.monotonic() - self.updated_at

    def same_content(self, other: RoutingTable) -> bool:
        return dict(self.services) == dict(other.services)
