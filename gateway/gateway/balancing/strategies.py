"""Balancing strategies: pick one instance out of the candidates of a service.

- ``random``: uniform choice (Fabio's default, and the seed's behaviour done on purpose).
- ``round_robin``: exact rotation per service over the current candidate list.
- ``least_in_flight``: fewest requests in flight from this gateway; ties broken at random.
- ``p2c``: power of two choices: two distinct random candidates, the one with fewer in flight.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol

from ..discovery.instance import Instance
from .inflight import InFlight

__all__ = [
    "LeastInFlightStrategy",
    "P2CStrategy",
    "RandomStrategy",
    "RoundRobinStrategy",
    "Strategy",
]


class Strategy(Protocol):
    name: str

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        """``candidates`` is never empty."""
        ...


class RandomStrategy:
    name = "random"

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        return candidates[self._rng.randrange(len(candidates))]


class RoundRobinStrategy:
    name = "round_robin"

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        n = self._next.get(service, 0)
        self._next[service] = n + 1
        return candidates[n % len(candidates)]


class LeastInFlightStrategy:
    name = "least_in_flight"

    def __init__(self, inflight: InFlight, rng: random.Random) -> None:
        self._inflight = inflight
        self._rng = rng

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        get = self._inflight.get
        best = min(get(c.id) for c in candidates)
        tied = [c for c in candidates if get(c.id) == best]
        return tied[0] if len(tied) == 1 else tied[self._rng.randrange(len(tied))]


class P2CStrategy:
    name = "p2c"

    def __init__(self, inflight: InFlight, rng: random.Random) -> None:
        self._inflight = inflight
        self._rng = rng

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        n = len(candidates)
        if n == 1:
            return candidates[0]
        i = self._rng.randrange(n)
        j = self._rng.randrange(n - 1)
        if j >= i:
            j += 1  # two distinct candidates
        a, b = candidates[i], candidates[j]
        return b if self._inflight.get(b.id) < self._inflight.get(a.id) else a
