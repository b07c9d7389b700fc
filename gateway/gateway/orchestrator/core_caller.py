"""``CoreNodeCaller``: nodes called through the gateway's ``ServiceClient``.

A node without a host goes through discovery (routing table, balancer, passive ejection,
connect-failure retry on another instance); a node with host/port is a direct call on the
same pooled session. Responses are always requested as streams so an SSE answer can be
relayed without buffering; other bodies are read in full under the node's timeout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..upstream import NoHealthyInstance, UpstreamError, UpstreamResponse, UpstreamTimeout
from .caller import NodeRequest, NodeResponse
from .errors import NodeCallError
from .http_caller import HttpNodeCaller, node_body

if TYPE_CHECKING:
    from ..upstream import ServiceClient

__all__ = ["CoreNodeCaller"]


class CoreNodeCaller:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client
        self._fallback: HttpNodeCaller | None = None  # https / api_key base URLs

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse:
        if request.host is not None and (
            request.protocol != "http" or request.api_key or "/" in request.host
        ):
            if self._fallback is None:
                self._fallback = HttpNodeCaller()
            return await self._fallback.call(request, payload)
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        headers.update(request.headers)
        body = json.dumps(payload).encode()
        try:
            if request.host is None:
                resp = await self.client.request(
                    request.service,
                    "POST",
                    request.endpoint,
                    headers=headers,
                    body=body,
                    timeout=request.timeout,
                    stream=True,
                )
            else:
                resp = await self.client.request_direct(
                    request.host,
                    request.port or 80,
                    "POST",
                    request.endpoint,
                    headers=headers,
                    body=body,
                    timeout=request.timeout,
                    stream=True,
                    label=request.service,
                )
        except UpstreamError as exc:
            raise _map(exc) from exc
        instance = f"{resp.instance.address}:{resp.instance.port}"
        content_type = resp.headers.get("content-type", "")
        if content_type.startswith("text/event-stream") and resp.status < 400:
            return NodeResponse(
                resp.status,
                content_type,
                instance=instance,
                attempts=resp.attempts,
                stream=_relay(resp),
                close=resp.aclose,
            )
        try:
            async with asyncio.timeout(request.timeout):
                raw = await resp.read()
        except TimeoutError as exc:
            await resp.aclose()
            raise NodeCallError(
                "timeout",
                f"body not received within {request.timeout}s",
                instance=instance,
                status=resp.status,
                attempts=resp.attempts,
            ) from exc
        except Exception as exc:
            await resp.aclose()
            raise NodeCallError(
                "unavailable", f"reading the body failed: {exc!r}", instance=instance, attempts=resp.attempts
            ) from exc
        body_out = node_body(content_type, raw, resp.status, instance, resp.attempts)
        return NodeResponse(
            resp.status, content_type, body=body_out, instance=instance, attempts=resp.attempts
        )

    async def aclose(self) -> None:
        if self._fallback is not None:
            await self._fallback.aclose()
            self._fallback = None


def _map(exc: UpstreamError) -> NodeCallError:
    if isinstance(exc, NoHealthyInstance):
        kind = "no_instance"
    elif isinstance(exc, UpstreamTimeout):
        kind = "timeout"
    else:
        kind = "unavailable"
    return NodeCallError(kind, exc.detail, attempts=exc.attempts or 1, instance=exc.instance)


async def _relay(resp: UpstreamResponse) -> AsyncIterator[bytes]:
    async for chunk in resp:
        yield chunk
