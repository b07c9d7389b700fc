"""The flows the gateway serves, by name and by endpoint (replaced atomically per flow)."""

from __future__ import annotations

from .caller import NodeCaller
from .errors import FlowDefinitionError
from .loader import LoadedFlow
from .observer import FlowObserver

__all__ = ["FlowConflict", "FlowRegistry"]


class FlowConflict(FlowDefinitionError):
    """The flow's endpoint is already served by another flow."""


class FlowRegistry:
    def __init__(self) -> None:
        self._flows: dict[str, LoadedFlow] = {}
        self.caller: NodeCaller | None = None
        self.observer: FlowObserver | None = None

    def names(self) -> list[str]:
        return sorted(self._flows)

    def get(self, name: str) -> LoadedFlow | None:
        return self._flows.get(name)

    def by_endpoint(self, path: str) -> LoadedFlow | None:
        path = path.rstrip("/")
        for flow in self._flows.values():
            if flow.endpoint == path:
                return flow
        return None

    def put(self, flow: LoadedFlow) -> bool:
        """Add or replace; ``True`` when it replaced a flow of the same name."""
        if flow.endpoint:
            other = self.by_endpoint(flow.endpoint)
            if other is not None and other.name != flow.name:
                raise FlowConflict(
                    f"endpoint {flow.endpoint} is already served by flow {other.name!r}", source=flow.source
                )
        self._bind(flow)
        replaced = flow.name in self._flows
        self._flows[flow.name] = flow
        return replaced

    def replace_all(self, flows: list[LoadedFlow]) -> None:
        """Serve exactly ``flows`` from now on (one swap; endpoints must be unique)."""
        new: dict[str, LoadedFlow] = {}
        for flow in flows:
            self._bind(flow)
            new[flow.name] = flow
        self._flows = new

    def remove(self, name: str) -> LoadedFlow | None:
        return self._flows.pop(name, None)

    def bind_all(self, caller: NodeCaller | None, observer: FlowObserver | None) -> None:
        self.caller, self.observer = caller, observer
        for flow in self._flows.values():
            self._bind(flow)

    def _bind(self, flow: LoadedFlow) -> None:
        flow.orchestrator.caller = self.caller
        flow.orchestrator.observer = self.observer
