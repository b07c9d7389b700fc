"""Balancing strategies: pick one instance out of the candidates of a service.

Every strategy honours Consul's weights (``Instance.weight``: ``Weights.Passing``, or
``Weights.Warning`` for a warning instance):

- ``random``: weighted random choice (uniform when the weights are equal; Fabio's default).
- ``round_robin``: rotation per service; with unequal weights nginx's smooth weighted round
  robin (weights 5,1,1 give a,a,b,a,c,a,a per cycle).
- ``least_in_flight``: fewest requests in flight from this gateway; ties broken at random,
  weighted.
- ``p2c``: power of two choices: two distinct random candidates, the one with fewer in flight;
  on equal counts the heavier one.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from typing import Protocol

from ..discovery.instance import Instance
from .inflight import InFlight
from .weights import ScheduleCache, cumulative_weights, smooth_schedule

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


def _weighted_index(rng: random.Random, cumulative: tuple[int, ...]) -> int:
    return bisect_right(cumulative, rng.random() * cumulative[-1])


class RandomStrategy:
    name = "random"

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._cumulative = ScheduleCache(cumulative_weights)

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        cumulative = self._cumulative.get(candidates)
        if cumulative is None:  # equal weights; random() is one C call, randrange() two in Python
            return candidates[int(self._rng.random() * len(candidates))]
        return candidates[_weighted_index(self._rng, cumulative)]


_GOLDEN = 0.6180339887498949


class RoundRobinStrategy:
    name = "round_robin"

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._schedules = ScheduleCache(smooth_schedule)

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        n = self._next.get(service, 0)
        self._next[service] = n + 1
        if not isinstance(candidates, tuple):
            # A list made for this request (some instances ejected or already tried): a schedule
            # would cost O(sum of weights) every time. Walk the cumulative weights with a
            # golden-ratio sequence instead: deterministic, spread out, in proportion.
            cumulative = cumulative_weights(candidates)
            if cumulative is None:
                return candidates[n % len(candidates)]
            point = (n * _GOLDEN) % 1.0 * cumulative[-1]
            chosen: Instance = candidates[bisect_right(cumulative, point)]
            return chosen
        schedule = self._schedules.get(candidates)
        at = n % len(candidates) if schedule is None else schedule[n % len(schedule)]
        picked: Instance = candidates[at]
        return picked


class LeastInFlightStrategy:
    name = "least_in_flight"

    def __init__(self, inflight: InFlight, rng: random.Random) -> None:
        self._inflight = inflight
        self._rng = rng

    def pick(self, service: str, candidates: Sequence[Instance]) -> Instance:
        get = self._inflight.get
        best = min(get(c.id) for c in candidates)
        tied = [c for c in candidates if get(c.id) == best]
        if len(tied) == 1:
            return tied[0]
        cumulative = cumulative_weights(tied)
        if cumulative is None:
            return tied[self._rng.randrange(len(tied))]
        return tied[_weighted_index(self._rng, cumulative)]


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
        load_a, load_b = self._inflight.get(a.id), self._inflight.get(b.id)
        if load_a == load_b:
            return b if b.weight > a.weight else a
        return b if load_b < load_a else a
