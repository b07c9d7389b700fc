"""Scale from zero: a request for a model with no routed replica waits here while one launches.

Knative's activator does the same: the held requests count as load (so the leader sees
demand for a model with zero replicas and launches at once), and each waits, bounded in
number and time, until the routing table has a non-draining instance of the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..capabilities import HoldOutcome
from ..discovery import RoutingTable
from .signal import instance_model

if TYPE_CHECKING:
    from .controller import Autoscaler

__all__ = ["Activator"]


class Activator:
    """The core's ``CapacityHold`` for models with an autoscaling policy."""

    def __init__(self, autoscaler: Autoscaler) -> None:
        self.autoscaler = autoscaler

    async def hold(self, model: str) -> HoldOutcome | None:
        a = self.autoscaler
        replicas = a.core.replicas
        name = (replicas.resolve_model(model) if replicas is not None else None) or model
        if name not in a.policies:
            return None  # not autoscaled: the caller answers as usual
        s = a.settings
        held = a.held.get(name, 0)
        retry_after = max(1, round(s.autoscaler_hold_timeout / 4))
        if held >= s.autoscaler_hold_max:
            return HoldOutcome(
                False,
                f"model '{name}' is scaling from zero and {held} requests already wait for it "
                "(AUTOSCALER_HOLD_MAX); retry later",
                retry_after,
            )
        a.held[name] = held + 1
        a.metrics.held.labels(name).set(held + 1)
        a.wake()
        service = a.service

        def routed(table: RoutingTable) -> bool:
            draining = a.core.draining.ids
            return any(instance_model(i) == name and i.id not in draining for i in table.instances(service))

        try:
            table = await a.core.discovery.wait_for(routed, s.autoscaler_hold_timeout)
        finally:
            left = a.held.get(name, 1) - 1
            if left > 0:
                a.held[name] = left
            else:
                a.held.pop(name, None)
            a.metrics.held.labels(name).set(max(0, left))
        if table is None:
            return HoldOutcome(
                False,
                f"no replica of model '{name}' was serving within {s.autoscaler_hold_timeout:g}s "
                f"(AUTOSCALER_HOLD_TIMEOUT); see GET /api/models/{name}/autoscaling",
                retry_after,
            )
        return HoldOutcome(True)
