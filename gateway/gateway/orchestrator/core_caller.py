"""``CoreNodeCaller``: every node call goes through the gateway's ``ServiceClient``.

A node without a host goes through discovery (routing table, balancer, passive ejection,
connect-failure retry on another instance); a node with host/port, or with a base URL and an
``api_key`` (OPEA's remote-endpoint form), is a direct call on the same pooled client, HTTPS
included. Responses are always requested as streams so an SSE answer can be relayed without
buffering; other bodies are read in full under the node's timeout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..upstream import NoHealthyInstance, UpstreamError, UpstreamResponse, UpstreamTimeout
from .bodies import node_body
from .caller import NodeRequest, NodeResponse
from .errors import NodeCallError

if TYPE_CHECKING:
    from ..upstream import ServiceClient

__all__ = ["CoreNodeCaller"]


class CoreNodeCaller:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        headers.update(request.headers)
        if request.api_key:
            headers["authorization"] = f"Bearer {request.api_key}"
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
                host, port, path, tls = direct_target(request)
                resp = await self.client.request_direct(
                    host,
                    port,
                    "POST",
                    path,
                    headers=headers,
                    body=body,
                    timeout=request.timeout,
                    stream=True,
                    label=request.service,
                    tls=tls,
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
        """The ``ServiceClient`` belongs to whoever made it (the gateway's core): left open."""


def direct_target(request: NodeRequest) -> tuple[str, int, str, bool]:
    """``(host, port, path, tls)`` of a node given by address (``direct_url``)."""
    url = request.direct_url
    if url is None:
        raise ValueError(f"node {request.node!r} has no host")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NodeCallError("unavailable", f"node {request.node!r}: unsupported URL {url!r}")
    tls = parts.scheme == "https"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.hostname, parts.port or (443 if tls else 80), path, tls


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
