"""A frozen snapshot of an orchestrator's graph: what one ``schedule`` call executes."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .conditions import Condition
from .microservice import MicroService
from .reducers import Reducer

__all__ = ["Plan", "RetryEdge"]


@dataclass(frozen=True)
class RetryEdge:
    """On failure of the source, call ``target`` (the source or a stand-in) up to ``attempts`` times."""

    target: str
    attempts: int = 2


@dataclass
class Plan:
    flow: str
    services: dict[str, MicroService]
    graph: OrderedDict[str, set[str]]
    conditions: dict[tuple[str, str], Condition] = field(default_factory=dict)
    retry_edges: dict[str, list[RetryEdge]] = field(default_factory=dict)
    standby: frozenset[str] = frozenset()
    reducer: Reducer = "merge"
    default_timeout: float = 30.0

    def short(self, key: str) -> str:
        svc = self.services.get(key)
        return svc.short_name if svc is not None and svc.short_name else key
