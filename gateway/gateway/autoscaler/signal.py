"""This gateway instance's view of the load per model: in-flight requests, sampled into windows.

The upstream client counts requests in flight per instance (what least_in_flight balances
on); a model's sample is the sum over the routed instances serving it, draining ones
included (they still work), plus the requests held while it scales from zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..discovery import Instance, RoutingTable
from .window import SampleWindow

__all__ = ["LocalLoad", "instance_model"]

_MAX_WINDOW = 600.0  # the policy's longest window (AutoscalingPolicy.stable_window_s)


def instance_model(inst: Instance) -> str | None:
    """The model an instance serves: Consul meta ``model``, else a ``model:<name>`` tag."""
    return inst.meta.get("model") or inst.tag_value("model")


class LocalLoad:
    def __init__(
        self,
        service: str,
        table: Callable[[], RoutingTable],
        in_flight: Callable[[str], int],
        held: Callable[[str], int],
        sample_interval: float,
    ) -> None:
        self.service = service
        self._table = table
        self._in_flight = in_flight
        self._held = held
        self._max_samples = int(_MAX_WINDOW / sample_interval) + 2
        self.windows: dict[str, SampleWindow] = {}

    def now_by_model(self, models: Iterable[str]) -> dict[str, float]:
        wanted = set(models)
        counts = dict.fromkeys(wanted, 0.0)
        for inst in self._table().instances(self.service):
            model = instance_model(inst)
            if model in wanted:
                counts[model] += self._in_flight(inst.id)
        for model in wanted:
            counts[model] += self._held(model)
        return counts

    def sample(self, now: float, windows: Mapping[str, float]) -> None:
        """One sample per model of ``windows`` (model → the longest window it needs)."""
        for model in [m for m in self.windows if m not in windows]:
            del self.windows[model]  # policy deleted: forget its samples
        for model, value in self.now_by_model(windows).items():
            window = self.windows.get(model)
            if window is None:
                window = self.windows[model] = SampleWindow(windows[model], self._max_samples)
            window.keep = windows[model]
            window.add(now, value)

    def averages(self, model: str, now: float, stable_s: float, panic_s: float) -> tuple[float, float]:
        window = self.windows.get(model)
        if window is None:
            return 0.0, 0.0
        return window.average(now, stable_s), window.average(now, panic_s)
