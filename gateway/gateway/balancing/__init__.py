"""Load balancing: strategies (random, round_robin, least_in_flight, p2c) and per-service choice."""

from __future__ import annotations

from .balancer import LB_KEY, Balancer
from .draining import Draining
from .inflight import InFlight
from .strategies import (
    LeastInFlightStrategy,
    P2CStrategy,
    RandomStrategy,
    RoundRobinStrategy,
    Strategy,
)

__all__ = [
    "LB_KEY",
    "Balancer",
    "Draining",
    "InFlight",
    "LeastInFlightStrategy",
    "P2CStrategy",
    "RandomStrategy",
    "RoundRobinStrategy",
    "Strategy",
]
