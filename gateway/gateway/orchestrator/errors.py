"""Structured errors: a failed node names flow, node, instance, attempt and upstream status."""

from __future__ import annotations

from typing import Any

__all__ = ["FlowDefinitionError", "FlowError", "NodeCallError"]


class NodeCallError(Exception):
    """One failed call of a node (raised by a ``NodeCaller`` or by the status check).

    ``kind``: ``timeout``, ``unavailable`` (connection failed / reset), ``no_instance``
    (discovery knows no healthy instance), ``http_status`` (upstream answered >= 400) or
    ``invalid_response`` (a body the flow cannot use).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        instance: str | None = None,
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.instance = instance
        self.status = status
        self.attempts = attempts

    @property
    def retryable(self) -> bool:
        if self.kind == "http_status":
            return self.status is not None and self.status >= 500
        return self.kind in ("timeout", "unavailable", "no_instance")


class FlowError(Exception):
    """A flow failed at a node; ``to_dict()`` is the HTTP error body's ``error`` member."""

    def __init__(
        self,
        *,
        flow: str,
        node: str,
        kind: str,
        message: str,
        instance: str | None = None,
        attempt: int = 1,
        status: int | None = None,
        service: str | None = None,
        trace: list[dict[str, Any]] | None = None,
    ) -> None:
        where = f" on {instance}" if instance else ""
        code = f" (upstream status {status})" if status is not None else ""
        super().__init__(f"flow {flow!r} failed at node {node!r}{where}, attempt {attempt}{code}: {message}")
        self.flow = flow
        self.node = node
        self.kind = kind
        self.message = message
        self.instance = instance
        self.attempt = attempt
        self.status = status
        self.service = service
        self.trace = trace or []

    @property
    def http_status(self) -> int:
        """504 when the node timed out, 503 when no instance was available, else 502."""
        if self.kind == "timeout":
            return 504
        if self.kind == "no_instance":
            return 503
        return 502

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "flow_error",
            "flow": self.flow,
            "node": self.node,
            "service": self.service,
            "kind": self.kind,
            "instance": self.instance,
            "attempt": self.attempt,
            "status": self.status,
            "message": self.message,
            "detail": str(self),
        }


class FlowDefinitionError(ValueError):
    """An invalid flow definition; names the source (file or API), the node and the reason."""

    def __init__(self, message: str, *, source: str | None = None, node: str | None = None) -> None:
        parts = [p for p in (f"{source}" if source else None, f"node {node!r}" if node else None) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.source = source
        self.node = node
        self.reason = message

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "flow_definition_error",
            "source": self.source,
            "node": self.node,
            "message": self.reason,
            "detail": str(self),
        }
