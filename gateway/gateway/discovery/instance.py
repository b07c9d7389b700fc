"""One routable replica, as read from ``/v1/health/service/<name>`` (passing, or warning too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["CRITICAL", "PASSING", "WARNING", "Instance", "aggregate_status"]

_EMPTY: Mapping[str, str] = MappingProxyType({})

PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"
_RANK = {PASSING: 0, WARNING: 1}  # anything else (critical, maintenance) ranks worst
_NO_WEIGHTS: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Instance:
    """An immutable service instance; ``url`` is its base URL (``http://addr:port``)."""

    service: str
    id: str
    address: str
    port: int
    tags: tuple[str, ...] = ()
    meta: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    weights: Mapping[str, int] = field(default_factory=lambda: _NO_WEIGHTS)
    url: str = field(default="", compare=False)
    # Aggregated check status ("passing" or "warning") and the Consul weight that applies to it
    # (Weights.Passing or Weights.Warning; Consul's default for both is 1).
    status: str = PASSING
    weight: int = 1
    # Serves HTTPS: the instance declares ``proto=https`` (a tag, or Meta ``proto``, as Fabio reads it).
    tls: bool = False

    def __post_init__(self) -> None:
        if not self.url:
            host = f"[{self.address}]" if ":" in self.address else self.address
            scheme = "https" if self.tls else "http"
            object.__setattr__(self, "url", f"{scheme}://{host}:{self.port}")

    def __hash__(self) -> int:  # meta/weights are read-only mappings, not hashable
        return hash((self.service, self.id, self.address, self.port, self.tags))

    @property
    def hostport(self) -> str:
        """``addr:port``, the key the seed's endpoints use."""
        return f"{self.address}:{self.port}"

    def tag_value(self, key: str) -> str | None:
        """Value of a ``key=value`` or ``key:value`` tag, else ``None``."""
        for tag in self.tags:
            for sep in ("=", ":"):
                prefix = key + sep
                if tag.startswith(prefix):
                    return tag[len(prefix) :]
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "address": self.address,
            "port": self.port,
            "url": self.url,
            "tags": list(self.tags),
            "meta": dict(self.meta),
            "weights": dict(self.weights),
            "status": self.status,
            "weight": self.weight,
            "tls": self.tls,
        }

    @classmethod
    def from_health_entry(cls, entry: Mapping[str, Any]) -> Instance | None:
        """Parse one health-endpoint entry; ``None`` if it has no usable address or port."""
        svc = entry.get("Service") or {}
        node = entry.get("Node") or {}
        address = svc.get("Address") or node.get("Address") or ""
        port = int(svc.get("Port") or 0)
        if not address or port <= 0:
            return None
        weights = svc.get("Weights") or {}
        status = aggregate_status(entry.get("Checks"))
        weight_key = "Warning" if status == WARNING else "Passing"
        raw_weight = weights.get(weight_key, 1)
        tags = tuple(str(t) for t in (svc.get("Tags") or ()))
        meta = MappingProxyType({str(k): str(v) for k, v in (svc.get("Meta") or {}).items()})
        return cls(
            service=str(svc.get("Service", "")),
            id=str(svc.get("ID") or f"{address}:{port}"),
            address=str(address),
            port=port,
            tags=tags,
            meta=meta,
            weights=MappingProxyType({str(k): int(v) for k, v in weights.items()}),
            status=status,
            weight=max(0, int(raw_weight if raw_weight is not None else 1)),
            tls=meta.get("proto") == "https" or "proto=https" in tags,
        )


def aggregate_status(checks: Any) -> str:
    """The worst status of an entry's checks, as Consul aggregates it: passing < warning <
    critical (maintenance checks are critical). No checks at all count as passing."""
    worst = PASSING
    for check in checks or ():
        status = str(check.get("Status", "")) if isinstance(check, Mapping) else ""
        rank = _RANK.get(status, 2)
        if rank == 2:
            return CRITICAL
        if rank > _RANK[worst]:
            worst = WARNING
    return worst
