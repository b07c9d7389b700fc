"""A fake ``NodeCaller`` for engine unit tests: handlers keyed by service name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from gateway.orchestrator import NodeCallError, NodeRequest, NodeResponse

Handler = Callable[[Any], Awaitable[Any]]


def ok(body: Any, status: int = 200) -> NodeResponse:
    return NodeResponse(status, "application/json", body=body, instance="fake:1")


class FakeCaller:
    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.calls: list[tuple[str, Any]] = []
        self.cancelled: list[str] = []

    def on(self, service: str, handler: Handler) -> FakeCaller:
        self.handlers[service] = handler
        return self

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse:
        self.calls.append((request.service, payload))
        handler = self.handlers.get(request.service)
        if handler is None:
            raise NodeCallError("no_instance", f"no handler for {request.service}")
        try:
            result = await handler(payload)
        except asyncio.CancelledError:
            self.cancelled.append(request.service)
            raise
        return result if isinstance(result, NodeResponse) else ok(result)

    async def aclose(self) -> None:
        pass

    def count(self, service: str) -> int:
        return sum(1 for name, _ in self.calls if name == service)


def echo(extra: dict[str, Any] | None = None, delay: float = 0.0) -> Handler:
    async def handler(payload: Any) -> Any:
        if delay:
            await asyncio.sleep(delay)
        return {**payload, **(extra or {})} if isinstance(payload, dict) else payload

    return handler


def const(body: Any, delay: float = 0.0, status: int = 200) -> Handler:
    async def handler(payload: Any) -> Any:
        if delay:
            await asyncio.sleep(delay)
        return ok(body, status)

    return handler


def failing(times: int, then: Handler | None = None, status: int = 503) -> Handler:
    """Answer ``status`` the first ``times`` calls, then delegate to ``then``."""
    state = {"n": 0}

    async def handler(payload: Any) -> Any:
        state["n"] += 1
        if state["n"] <= times or then is None:
            return ok({"detail": "boom"}, status)
        return await then(payload)

    return handler


def sse(events: list[str]) -> Handler:
    async def handler(payload: Any) -> Any:
        async def gen() -> AsyncIterator[bytes]:
            for event in events:
                yield f"data: {event}\n\n".encode()

        return NodeResponse(200, "text/event-stream", instance="fake:1", stream=gen())

    return handler
