"""How the engine reaches a node: the ``NodeCaller`` protocol and its request/response types.

The engine only knows this protocol, so it can be tested with fakes. ``CoreNodeCaller`` (the
gateway's discovery + balancer + retrying upstream client) implements it, inside the gateway
and, through ``StandaloneCaller``, in a plain Python process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["NodeCaller", "NodeRequest", "NodeResponse"]


@dataclass(frozen=True)
class NodeRequest:
    """One call of one node: where (service name or fixed host) and how long it may take."""

    node: str
    service: str
    endpoint: str
    timeout: float
    host: str | None = None
    port: int | None = None
    protocol: str = "http"
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def direct_url(self) -> str | None:
        if self.host is None:
            return None
        if self.api_key and "://" in self.host:
            return f"{self.host}{self.endpoint}"
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.protocol}://{self.host}{port}{self.endpoint}"


@dataclass
class NodeResponse:
    """What a node answered. ``stream`` is set (and ``body`` is None) for ``text/event-stream``."""

    status: int
    content_type: str
    body: Any = None
    instance: str | None = None
    attempts: int = 1
    stream: AsyncIterator[bytes] | None = None
    close: Callable[[], Awaitable[None]] | None = None
    text: str = ""

    @property
    def is_stream(self) -> bool:
        return self.stream is not None


class NodeCaller(Protocol):
    """POST ``payload`` as JSON to the node; raise ``NodeCallError`` on transport failures.

    HTTP error statuses are returned, not raised: the engine checks them so that every
    caller reports them the same way. A caller may set ``enforces_timeout = True`` when it
    raises ``NodeCallError("timeout")`` itself once ``request.timeout`` has passed; the engine
    then skips its own safety-net timer around the call (otherwise: the timeout plus 0.25 s).
    """

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse: ...

    async def aclose(self) -> None: ...
