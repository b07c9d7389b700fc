"""Requests in flight per instance: what least_in_flight and p2c balance on."""

from __future__ import annotations

__all__ = ["InFlight"]


class InFlight:
    """Counters keyed by instance id; the upstream client increments around every call."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def get(self, instance_id: str) -> int:
        return self._counts.get(instance_id, 0)

    def begin(self, instance_id: str) -> None:
        self._counts[instance_id] = self._counts.get(instance_id, 0) + 1

    def end(self, instance_id: str) -> None:
        left = self._counts.get(instance_id, 0) - 1
        if left > 0:
            self._counts[instance_id] = left
        else:
            self._counts.pop(instance_id, None)

    def snapshot(self) -> dict[str, int]:
        return dict(self._counts)
