"""Consul weights in every strategy (a fixed seed; chi-square bounds, not exact counts)."""

from __future__ import annotations

import random
from collections import Counter

from gateway.balancing import Balancer, InFlight, LeastInFlightStrategy, P2CStrategy
from gateway.balancing.weights import smooth_schedule
from gateway.discovery import Instance


def inst(n: int, weight: int) -> Instance:
    return Instance("w", f"w-{n}", "127.0.0.1", 9000 + n, weight=weight)


NINE_ONE = (inst(1, 9), inst(2, 1))


def chi_square(counts: Counter[str], expected: dict[str, float]) -> float:
    return sum((counts[k] - e) ** 2 / e for k, e in expected.items())


def test_weighted_random_nine_to_one() -> None:
    balancer = Balancer("random", seed=42)
    counts = Counter(balancer.pick("w", NINE_ONE).id for _ in range(10_000))
    assert chi_square(counts, {"w-1": 9000, "w-2": 1000}) < 10.83, counts  # df=1, p=0.001


def test_weighted_round_robin_is_exact_and_spread() -> None:
    balancer = Balancer("round_robin")
    picks = [balancer.pick("w", NINE_ONE).id for _ in range(100)]
    assert picks.count("w-1") == 90
    assert smooth_schedule((inst(1, 5), inst(2, 1), inst(3, 1))) == (0, 0, 1, 0, 2, 0, 0)
    assert smooth_schedule((inst(1, 2), inst(2, 2))) is None  # equal: plain rotation


def test_least_in_flight_breaks_ties_by_weight() -> None:
    strategy = LeastInFlightStrategy(InFlight(), random.Random(3))
    counts = Counter(strategy.pick("w", NINE_ONE).id for _ in range(5_000))
    assert chi_square(counts, {"w-1": 4500, "w-2": 500}) < 10.83, counts


def test_p2c_prefers_heavier_on_equal_load() -> None:
    inflight = InFlight()
    strategy = P2CStrategy(inflight, random.Random(3))
    assert {strategy.pick("w", NINE_ONE).id for _ in range(50)} == {"w-1"}
    inflight.begin("w-1")
    assert strategy.pick("w", NINE_ONE).id == "w-2"  # load first, weight only on a tie


def test_instance_status_and_weight_from_health_entry() -> None:
    def entry(*statuses: str) -> dict[str, object]:
        return {
            "Service": {
                "Service": "w",
                "ID": "w-1",
                "Address": "10.0.0.1",
                "Port": 80,
                "Weights": {"Passing": 9, "Warning": 2},
            },
            "Checks": [{"Status": s} for s in statuses],
        }

    passing = Instance.from_health_entry(entry("passing", "passing"))
    warning = Instance.from_health_entry(entry("passing", "warning"))
    critical = Instance.from_health_entry(entry("warning", "critical"))
    assert passing is not None and (passing.status, passing.weight) == ("passing", 9)
    assert warning is not None and (warning.status, warning.weight) == ("warning", 2)
    assert critical is not None and critical.status == "critical"


def test_weighted_round_robin_over_a_request_list() -> None:
    balancer = Balancer("round_robin")
    heavy = [inst(1, 65535), inst(2, 1), inst(3, 65535)]  # a list: e.g. after ejection
    picks = Counter(balancer.pick("w", heavy).id for _ in range(1000))
    assert picks["w-2"] <= 1 and abs(picks["w-1"] - picks["w-3"]) <= 20, picks
    nine_one = [inst(1, 9), inst(2, 1)]
    rr = Balancer("round_robin")
    assert Counter(rr.pick("w", nine_one).id for _ in range(100))["w-1"] in range(88, 93)
