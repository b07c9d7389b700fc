"""Sliding-window averages and the back-off, with a fake clock."""

from __future__ import annotations

from gateway.autoscaler.backoff import LaunchBackoff
from gateway.autoscaler.window import SampleWindow


def test_average_over_each_window_and_bounded_memory() -> None:
    w = SampleWindow(keep=10.0, max_samples=100)
    for t in range(20):
        w.add(float(t), 1.0 if t < 15 else 5.0)
    assert w.average(19.0, 4.5) == 5.0  # t = 15..19
    assert w.average(19.0, 9.5) == (5 * 1 + 5 * 5) / 10
    assert len(w) == 11  # older than keep dropped
    assert SampleWindow(10.0).average(0.0, 5.0) == 0.0
    small = SampleWindow(keep=1e9, max_samples=3)
    for t in range(10):
        small.add(float(t), 1.0)
    assert len(small) == 3


def test_backoff_doubles_to_the_maximum_and_resets() -> None:
    b = LaunchBackoff(2.0, 10.0)
    assert [b.failed(0.0, "boom") for _ in range(4)] == [2.0, 4.0, 8.0, 10.0]
    assert b.blocked(9.0) and not b.blocked(10.0)
    assert b.failures == 4 and b.last_error == "boom"
    b.succeeded()
    assert b.failures == 0 and not b.blocked(0.0)
