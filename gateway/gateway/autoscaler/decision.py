"""The scaling decision for one model: a pure state machine driven by the caller's clock.

Knative KPA's rules (pkg/autoscaler/scaling) with Ray Serve's target-per-replica signal:

- desired = ceil(total in flight / target_in_flight), from the stable-window average,
  clamped to [min_replicas, min(max_replicas, REPLICA_MAX_PER_MODEL)];
- panic when the panic-window demand is >= panic_threshold × current replicas; while
  panicking, desired comes from the panic window, scale-up is immediate and desired never
  goes down; panic ends a stable window after the demand was last that high;
- scale-up in stable mode after ``scale_up_delay_s`` of higher demand; scale-down one
  replica per step, after ``scale_down_delay_s`` of lower demand, never while panicking;
- to zero only with min_replicas 0, after ``scale_to_zero_after_s`` without any request;
  from zero at once when a request is waiting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .policy import AutoscalingPolicy

__all__ = ["Decider", "Decision", "Direction", "Signal"]

Direction = Literal["up", "down", "none"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Signal:
    """Requests in flight for one model, summed over every gateway instance."""

    stable: float  # average over the stable window
    panic: float  # average over the panic window
    instant: float = 0.0  # right now (includes requests held while scaling from zero)


@dataclass(frozen=True, slots=True)
class Decision:
    desired: int  # what the model should have
    target: int  # what to move to now (one step when scaling down)
    current: int
    direction: Direction
    reason: str  # one of a small fixed set (a metric label)
    panic: bool


class Decider:
    """Per-model decision state (panic, delays, last activity); ``decide`` is called every tick."""

    def __init__(self) -> None:
        self.panic_last_over: float | None = None  # last time the panic condition held
        self.panic_desired = 0
        self.above_since: float | None = None
        self.below_since: float | None = None
        self.last_active: float | None = None

    @property
    def panicking(self) -> bool:
        return self.panic_last_over is not None

    def decide(
        self, now: float, policy: AutoscalingPolicy, cap: int, current: int, signal: Signal
    ) -> Decision:
        upper = max(0, min(policy.max_replicas, cap))
        lower = min(policy.min_replicas, upper)
        target = policy.target_in_flight
        if self.last_active is None or signal.panic > 0 or signal.instant > 0:
            self.last_active = now
        want_stable = math.ceil(signal.stable / target - _EPS)
        want_panic = math.ceil(max(signal.panic, signal.instant) / target - _EPS)

        over = current > 0 and signal.panic / target >= policy.panic_threshold * current
        if over:
            self.panic_last_over = now
        elif self.panic_last_over is not None and now - self.panic_last_over >= policy.stable_window_s:
            self.panic_last_over = None
        if self.panicking:
            desired = max(want_panic, want_stable, self.panic_desired, current)  # never down in panic
            self.panic_desired = desired
        else:
            self.panic_desired = 0
            desired = want_stable
        desired = max(lower, min(upper, desired))
        if desired == 0 and upper > 0:
            idle_for = now - self.last_active
            if want_panic > 0 or (current > 0 and idle_for < policy.scale_to_zero_after_s):
                desired = 1  # keep (or bring back) one until idle long enough

        if desired > current:
            self.below_since = None
            if current < lower:
                return self._act(desired, desired, current, "up", "min")
            if current == 0:
                return self._act(desired, desired, current, "up", "from_zero")
            if self.panicking:
                return self._act(desired, desired, current, "up", "panic")
            if self.above_since is None:
                self.above_since = now
            if now - self.above_since >= policy.scale_up_delay_s:
                return self._act(desired, desired, current, "up", "load")
            return Decision(desired, current, current, "none", "wait_up_delay", self.panicking)
        if desired < current:
            self.above_since = None
            if current > upper:
                return self._act(desired, current - 1, current, "down", "max")
            if self.panicking:
                return Decision(desired, current, current, "none", "panic_hold", True)
            if self.below_since is None:
                self.below_since = now
            if now - self.below_since >= policy.scale_down_delay_s:
                return self._act(desired, current - 1, current, "down", "to_zero" if desired == 0 else "load")
            return Decision(desired, current, current, "none", "wait_down_delay", False)
        self.above_since = self.below_since = None
        return Decision(desired, current, current, "none", "steady", self.panicking)

    def _act(self, desired: int, target: int, current: int, direction: Direction, reason: str) -> Decision:
        if direction == "up":
            self.above_since = None
        return Decision(desired, target, current, direction, reason, self.panicking)
