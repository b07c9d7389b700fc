"""The decision logic with a fake clock: KPA's stable/panic windows, delays, one step down, zero."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.autoscaler import AutoscalingPolicy, Decider, Signal

POLICY = AutoscalingPolicy(
    min_replicas=1,
    max_replicas=4,
    target_in_flight=2,
    stable_window_s=10,
    panic_window_s=2,
    scale_up_delay_s=3,
    scale_down_delay_s=5,
    scale_to_zero_after_s=20,
)


def load(stable: float, panic: float | None = None, instant: float = 0.0) -> Signal:
    return Signal(stable, stable if panic is None else panic, instant)


def test_steady_when_demand_matches() -> None:
    d = Decider().decide(0.0, POLICY, cap=5, current=2, signal=load(3.5))
    assert (d.desired, d.direction, d.reason, d.panic) == (2, "none", "steady", False)


def test_stable_scale_up_waits_for_the_delay_then_goes_to_desired() -> None:
    dec = Decider()
    assert dec.decide(0.0, POLICY, 5, 1, load(5, 3)).reason == "wait_up_delay"
    assert dec.decide(2.0, POLICY, 5, 1, load(5, 3)).direction == "none"
    d = dec.decide(3.0, POLICY, 5, 1, load(5, 3))
    assert (d.direction, d.target, d.reason) == ("up", 3, "load")


def test_higher_demand_interrupted_restarts_the_up_delay() -> None:
    dec = Decider()
    dec.decide(0.0, POLICY, 5, 1, load(5, 3))
    dec.decide(2.0, POLICY, 5, 1, load(1, 1))  # back to steady
    assert dec.decide(4.0, POLICY, 5, 1, load(5, 3)).direction == "none"
    assert dec.decide(7.0, POLICY, 5, 1, load(5, 3)).direction == "up"


def test_panic_scales_up_at_once_and_never_down_until_a_stable_window_passed() -> None:
    dec = Decider()
    # panic window: 8 in flight = 4 replicas' worth for 1 replica: >= 2x -> panic, immediate.
    d = dec.decide(0.0, POLICY, 5, 1, load(1, 8))
    assert (d.direction, d.target, d.reason, d.panic) == ("up", 4, "panic", True)
    # Load gone, but still panicking: desired never goes down, no scale-down.
    d = dec.decide(5.0, POLICY, 5, 4, load(0.5, 0))
    assert (d.desired, d.direction, d.reason, d.panic) == (4, "none", "steady", True)
    # A stable window (10 s) after the last over-threshold moment panic ends; then the down delay.
    d = dec.decide(10.0, POLICY, 5, 4, load(0.5, 0))
    assert d.panic is False and (d.desired, d.direction, d.reason) == (1, "none", "wait_down_delay")
    d = dec.decide(15.0, POLICY, 5, 4, load(0.5, 0))
    assert (d.direction, d.target, d.reason) == ("down", 3, "load")


def test_scale_down_is_one_step_at_a_time_after_the_delay() -> None:
    dec = Decider()
    steps = []
    current = 4
    for t in range(20):
        d = dec.decide(float(t), POLICY, 5, current, load(0))
        if d.direction == "down":
            steps.append((t, d.current, d.target))
            current = d.target
    assert steps == [(5, 4, 3), (6, 3, 2), (7, 2, 1)]
    assert dec.decide(30.0, POLICY, 5, 1, load(0)).direction == "none"  # min 1


def test_clamped_to_max_and_to_the_runtime_cap() -> None:
    d = Decider().decide(0.0, POLICY, cap=5, current=1, signal=load(100, 100))
    assert d.desired == 4
    d = Decider().decide(0.0, POLICY, cap=2, current=1, signal=load(100, 100))
    assert d.desired == 2 and d.target == 2
    # Lowering max below the current count steps down at once (no delay): reason max.
    d = Decider().decide(0.0, POLICY.model_copy(update={"max_replicas": 2}), cap=5, current=4, signal=load(0))
    assert (d.direction, d.target, d.reason) == ("down", 3, "max")


def test_below_min_scales_up_at_once() -> None:
    d = Decider().decide(0.0, POLICY.model_copy(update={"min_replicas": 3}), 5, 1, load(0))
    assert (d.direction, d.target, d.reason) == ("up", 3, "min")


def test_scale_to_zero_after_idle_and_back_from_zero_at_once() -> None:
    policy = POLICY.model_copy(update={"min_replicas": 0, "scale_down_delay_s": 0})
    dec = Decider()
    assert dec.decide(0.0, policy, 5, 1, load(1, 1, 1)).direction == "none"  # active
    assert dec.decide(10.0, policy, 5, 1, load(0)).reason == "steady"  # idle 10 s < 20 s: keep one
    d = dec.decide(20.0, policy, 5, 1, load(0))
    assert (d.direction, d.target, d.reason) == ("down", 0, "to_zero")
    assert dec.decide(25.0, policy, 5, 0, load(0)).reason == "steady"  # zero stays zero
    # A held request (instant demand) with zero replicas: up at once, no delay, no panic needed.
    d = dec.decide(26.0, policy, 5, 0, Signal(0.0, 0.0, 1.0))
    assert (d.direction, d.target, d.reason) == ("up", 1, "from_zero")


def test_min_zero_never_drops_the_last_replica_while_requests_arrive() -> None:
    policy = POLICY.model_copy(
        update={"min_replicas": 0, "scale_down_delay_s": 0, "scale_to_zero_after_s": 5}
    )
    dec = Decider()
    for t in range(30):
        assert dec.decide(float(t), policy, 5, 1, load(0.0, 0.1)).direction == "none"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_replicas": 3, "max_replicas": 2}, "max_replicas"),
        ({"min_replicas": -1}, "min_replicas"),
        ({"target_in_flight": 0}, "target_in_flight"),
        ({"scale_down_delay_s": -5}, "scale_down_delay_s"),
        ({"panic_window_s": 30, "stable_window_s": 10}, "panic_window_s"),
        ({"max_replica": 3}, "max_replica"),
    ],
)
def test_bad_policies_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        AutoscalingPolicy.model_validate(body)
    assert field in str(info.value)


def test_defaults_are_sensible() -> None:
    p = AutoscalingPolicy()
    assert (p.min_replicas, p.max_replicas, p.target_in_flight) == (1, 4, 2.0)
    assert (p.stable_window_s, p.panic_window_s, p.panic_threshold) == (60.0, 6.0, 2.0)
