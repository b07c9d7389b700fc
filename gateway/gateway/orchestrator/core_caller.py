"""``CoreNodeCaller``: every node call goes through the gateway's ``ServiceClient``.

A node without a host goes through discovery (routing table, balancer, passive ejection,
connect-failure retry on another instance); a node with host/port, or with a base URL and an
``api_key`` (OPEA's remote-endpoint form), is a direct call on the same pooled client, HTTPS
included. Responses are always requested as streams so an SSE answer can be relayed without
buffering; other bodies are read in full under the node's timeout.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..upstream import NoHealthyInstance, UpstreamError, UpstreamResponse, UpstreamTimeout
from .bodies import node_body
from .caller import NodeRequest, NodeResponse
from .documents import encode_document
from .errors import NodeCallError

if TYPE_CHECKING:
    from ..upstream import ServiceClient

__all__ = ["CoreNodeCaller"]


_JSON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-type", b"application/json"),
    (b"accept", b"application/json, text/event-stream"),
)


def _encoded(headers: dict[str, str], api_key: str | None) -> tuple[tuple[bytes, bytes], ...]:
    """Our JSON headers, the node's own (lower-cased names: they replace ours) and the
    ``api_key`` bearer token, as bytes pairs."""
    own: dict[bytes, bytes] = {}
    for name, value in headers.items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} contains a line break")
        own[name.lower().encode("latin-1")] = value.encode("latin-1")
    if api_key:
        if "\r" in api_key or "\n" in api_key:
            raise ValueError("api_key contains a line break")
        own[b"authorization"] = f"Bearer {api_key}".encode("latin-1")
    return tuple((name, value) for name, value in _JSON_HEADERS if name not in own) + tuple(own.items())


class CoreNodeCaller:
    # The client bounds the response head by request.timeout (connect failures retried on
    # other instances add at most its connect timeout each) and the read below bounds a
    # streamed body: the engine needs no timer of its own around the call.
    enforces_timeout = True

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse:
        headers = (
            _encoded(request.headers, request.api_key)
            if request.headers or request.api_key
            else _JSON_HEADERS
        )
        body = encode_document(payload)
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
        raw_type = resp.header(b"content-type")
        content_type = raw_type.decode("latin-1") if raw_type is not None else ""
        is_stream = content_type.startswith("text/event-stream") and resp.status < 400
        if not resp.streamed and not is_stream:  # the whole body came with the head: no read, no timer
            body_out = node_body(content_type, resp.body, resp.status, instance, resp.attempts)
            return NodeResponse(
                resp.status, content_type, body=body_out, instance=instance, attempts=resp.attempts
            )
        if is_stream:
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
    target = _split_target(url)
    if target is None:
        raise NodeCallError("unavailable", f"node {request.node!r}: unsupported URL {url!r}")
    return target


@functools.lru_cache(maxsize=512)
def _split_target(url: str) -> tuple[str, int, str, bool] | None:
    """Parsed once per URL (urlsplit is a good part of a node call's CPU otherwise)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
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
