"""The immutable routing view: declared prefix routes, per-service traffic rules, errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..policy import PolicyError
from .prefix_table import PrefixTable
from .service_rules import ServiceRules

__all__ = ["RouteTable"]


@dataclass(frozen=True, slots=True)
class RouteTable:
    """What requests read: ``prefixes.lookup(path, host)`` and ``rules.get(service)`` (None for a
    service without rules: the plain path). ``reserved``: first path segments of the gateway's
    own routes, which always win over declared routes."""

    prefixes: PrefixTable = field(default_factory=PrefixTable)
    # A plain dict (a MappingProxy's get costs twice as much per request); never mutated.
    rules: Mapping[str, ServiceRules] = field(default_factory=dict)
    errors: tuple[PolicyError, ...] = ()
    reserved: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "routes": [r.to_dict() for r in self.prefixes.routes],
            "policies": {name: rules.to_dict() for name, rules in sorted(self.rules.items())},
            "errors": [e.to_dict() for e in self.errors],
        }
