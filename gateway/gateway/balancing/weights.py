"""Consul weights for the strategies: cumulative sums and smooth round-robin schedules.

An instance's ``weight`` is Consul's ``Weights.Passing`` (or ``Weights.Warning`` for a warning
instance). Work that depends only on the candidate tuple is done once per tuple and cached by
identity: the routing table's tuples live until the next table, so the request path pays a dict
lookup. Lists built per request (after ejection) are computed each time and not cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import gcd
from typing import Generic, TypeVar

from ..discovery.instance import Instance

__all__ = ["ScheduleCache", "cumulative_weights", "smooth_schedule"]

T = TypeVar("T")

_CACHE_MAX = 512  # candidate tuples remembered; cleared whole when full (tables are replaced whole)
_SCHEDULE_MAX = 4096  # longest round-robin schedule; larger weight sums are scaled down


def cumulative_weights(candidates: Sequence[Instance]) -> tuple[int, ...] | None:
    """Running sums of the weights, or None when every weight is equal (uniform choice)."""
    first = candidates[0].weight
    if all(c.weight == first for c in candidates):
        return None
    total = 0
    out = []
    for c in candidates:
        total += c.weight
        out.append(total)
    return tuple(out) if total > 0 else None


def smooth_schedule(candidates: Sequence[Instance]) -> tuple[int, ...] | None:
    """nginx's smooth weighted round robin, unrolled into one cycle of candidate indexes
    (weights 5,1,1 → 0,0,1,0,2,0,0: spread, not bursts); None when weights are equal."""
    weights = [c.weight for c in candidates]
    if all(w == weights[0] for w in weights) or sum(weights) <= 0:
        return None
    divisor = 0
    for w in weights:
        divisor = gcd(divisor, w)
    weights = [w // divisor for w in weights]
    total = sum(weights)
    if total > _SCHEDULE_MAX:
        scale = _SCHEDULE_MAX / total
        weights = [max(1, round(w * scale)) if w else 0 for w in weights]
        total = sum(weights)
    current = [0] * len(weights)
    order = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=current.__getitem__)
        current[best] -= total
        order.append(best)
    return tuple(order)


class ScheduleCache(Generic[T]):
    """``compute(candidates)`` remembered per candidate tuple (by identity)."""

    def __init__(self, compute: Callable[[Sequence[Instance]], T]) -> None:
        self._compute = compute
        self._cache: dict[int, tuple[Sequence[Instance], T]] = {}

    def get(self, candidates: Sequence[Instance]) -> T:
        entry = self._cache.get(id(candidates))
        if entry is not None and entry[0] is candidates:
            return entry[1]
        value = self._compute(candidates)
        if isinstance(candidates, tuple):
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            # The entry holds the tuple itself, so its id cannot be reused while cached.
            self._cache[id(candidates)] = (candidates, value)
        return value
