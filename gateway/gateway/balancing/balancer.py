"""Choose the strategy for a service and pick an instance.

The default strategy comes from settings (``GATEWAY_BALANCER``). A service overrides it for
itself with Consul metadata ``lb=<strategy>`` (meta wins) or a tag ``lb=<strategy>`` /
``lb:<strategy>`` on its instances. Unknown names are ignored with a warning (the default
applies) so a typo in one replica's tags never breaks routing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence

from ..discovery.instance import Instance
from .draining import Draining
from .inflight import InFlight
from .strategies import (
    LeastInFlightStrategy,
    P2CStrategy,
    RandomStrategy,
    RoundRobinStrategy,
    Strategy,
)

__all__ = ["LB_KEY", "Balancer"]

log = logging.getLogger("gateway.balancing")

LB_KEY = "lb"


class Balancer:
    """All strategies plus the per-service choice between them."""

    def __init__(self, default: str = "random", *, inflight: InFlight | None = None, seed: int | None = None):
        self.inflight = inflight or InFlight()
        self.draining = Draining()  # instances that get no new requests (being removed)
        rng = random.Random(seed)
        self.strategies: dict[str, Strategy] = {
            s.name: s
            for s in (
                RandomStrategy(rng),
                RoundRobinStrategy(),
                LeastInFlightStrategy(self.inflight, rng),
                P2CStrategy(self.inflight, rng),
            )
        }
        if default not in self.strategies:
            raise ValueError(f"unknown balancer {default!r}; expected one of {', '.join(self.strategies)}")
        self.default = default
        self._policy_cache: dict[str, tuple[tuple[Instance, ...], str]] = {}
        self._warned: set[str] = set()

    def policy(self, service: str, instances: tuple[Instance, ...]) -> str:
        """Strategy name for ``service`` given its current instances (cached per instance tuple)."""
        cached = self._policy_cache.get(service)
        if cached is not None and cached[0] is instances:
            return cached[1]
        name = self.default
        for inst in instances:
            wanted = inst.meta.get(LB_KEY) or inst.tag_value(LB_KEY)
            if wanted:
                if wanted in self.strategies:
                    name = wanted
                    break
                if wanted not in self._warned:
                    self._warned.add(wanted)
                    log.warning("service %s asks for unknown balancer %r; using %s", service, wanted, name)
        self._policy_cache[service] = (instances, name)
        return name

    def pick(self, service: str, candidates: Sequence[Instance], policy: str | None = None) -> Instance:
        """One of ``candidates`` (non-empty) by ``policy`` (default strategy if None)."""
        return self.strategies[policy or self.default].pick(service, candidates)
