"""SuccessBeforePassing / FailuresBeforeWarning / FailuresBeforeCritical (Consul's StatusHandler)."""

from __future__ import annotations

from ..model import CRITICAL, PASSING, WARNING

__all__ = ["Thresholds"]


class Thresholds:
    """Counters start satisfied, so the first result applies at once; later flips need N in a row."""

    def __init__(
        self, success_before_passing: int, failures_before_warning: int, failures_before_critical: int
    ):
        self.success_before_passing = success_before_passing
        self.failures_before_critical = failures_before_critical
        self.failures_before_warning = failures_before_warning or failures_before_critical
        self.successes = success_before_passing
        self.failures = failures_before_critical

    def apply(self, status: str) -> str | None:
        """Status to report for a raw probe result, or None to leave the check unchanged."""
        if status in (PASSING, WARNING):
            self.successes += 1
            self.failures = 0
            return status if self.successes >= self.success_before_passing else None
        self.failures += 1
        self.successes = 0
        if self.failures >= self.failures_before_critical:
            return CRITICAL
        if self.failures >= self.failures_before_warning:
            return WARNING
        return None
