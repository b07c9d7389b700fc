"""What the engine reports while it runs; ``FlowMetrics`` (metrics.py) is the real observer."""

from __future__ import annotations

from typing import Protocol

__all__ = ["FlowObserver", "NullObserver"]


class FlowObserver(Protocol):
    def flow_started(self, flow: str) -> None: ...

    def flow_finished(self, flow: str, ok: bool, seconds: float) -> None: ...

    def node_finished(self, flow: str, node: str, ok: bool, seconds: float) -> None: ...

    def stream_opened(self, flow: str, node: str) -> None: ...

    def stream_closed(self, flow: str, node: str, ok: bool, seconds: float) -> None: ...

    def stream_token(self, flow: str, first: bool, seconds: float) -> None:
        """A streamed chunk (token) went out: ``seconds`` since the request (first) or the
        previous chunk (OPEA's first-token and inter-token latencies)."""


class NullObserver:
    def flow_started(self, flow: str) -> None:
        pass

    def flow_finished(self, flow: str, ok: bool, seconds: float) -> None:
        pass

    def node_finished(self, flow: str, node: str, ok: bool, seconds: float) -> None:
        pass

    def stream_opened(self, flow: str, node: str) -> None:
        pass

    def stream_closed(self, flow: str, node: str, ok: bool, seconds: float) -> None:
        pass

    def stream_token(self, flow: str, first: bool, seconds: float) -> None:
        pass
