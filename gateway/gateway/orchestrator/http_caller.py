"""``HttpNodeCaller``: the standalone ``NodeCaller`` (httpx, one pooled client per caller).

Used when the orchestrator runs outside the gateway (a plain Python megaservice) and by
the benchmark. Nodes with a host are called directly; nodes without one are resolved by
a ``Resolver`` (by default Consul's health endpoint, passing instances only), taken
round-robin, and a connect-phase failure moves on to the next instance.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx

from .caller import NodeRequest, NodeResponse
from .errors import NodeCallError

__all__ = ["ConsulResolver", "HttpNodeCaller", "Resolver", "decode_body"]

log = logging.getLogger("gateway.orchestrator")

_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


class Resolver(Protocol):
    async def instances(self, service: str) -> list[str]:
        """``host:port`` of the healthy instances of ``service``."""
        ...


class ConsulResolver:
    """Passing instances from Consul's ``/v1/health/service/<name>``, cached for ``ttl`` seconds."""

    def __init__(
        self, consul_url: str | None = None, ttl: float = 1.0, client: httpx.AsyncClient | None = None
    ):
        url = consul_url or os.environ.get("CONSUL_HTTP_ADDR") or "http://127.0.0.1:8500"
        self.base = url if "://" in url else f"http://{url}"
        self.ttl = ttl
        self._client = client or httpx.AsyncClient(timeout=5.0)
        self._cache: dict[str, tuple[float, list[str]]] = {}

    async def instances(self, service: str) -> list[str]:
        cached = self._cache.get(service)
        now = time.monotonic()
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        try:
            resp = await self._client.get(f"{self.base}/v1/health/service/{service}", params={"passing": "1"})
            resp.raise_for_status()
            entries = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            if cached:  # keep routing on the last known set while Consul is unreachable
                return cached[1]
            raise NodeCallError("no_instance", f"discovery failed for {service!r}: {exc}") from exc
        found = []
        for entry in entries:
            svc = entry.get("Service", {})
            address = svc.get("Address") or entry.get("Node", {}).get("Address")
            if address and svc.get("Port"):
                found.append(f"{address}:{svc['Port']}")
        self._cache[service] = (now, found)
        return found

    async def aclose(self) -> None:
        await self._client.aclose()


def decode_body(content_type: str, raw: bytes) -> Any:
    """JSON for JSON responses, text for ``text/*``, bytes otherwise (e.g. ``audio/wav``)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return json.loads(raw) if raw else None
    if media.startswith("text/"):
        return raw.decode(errors="replace")
    if not media:
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw
    return raw


def node_body(content_type: str, raw: bytes, status: int, instance: str, attempts: int = 1) -> Any:
    """A node's decoded body; an undecodable error page is kept as text, an undecodable
    success is a ``NodeCallError`` (``invalid_response``). Shared by both node callers."""
    try:
        return decode_body(content_type, raw)
    except ValueError as exc:
        if status >= 400:
            return raw.decode(errors="replace")
        raise NodeCallError(
            "invalid_response",
            f"invalid JSON body: {exc}",
            instance=instance,
            status=status,
            attempts=attempts,
        ) from exc


class HttpNodeCaller:
    def __init__(
        self,
        resolver: Resolver | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        connect_timeout: float = 1.0,
        max_failover: int = 3,
    ) -> None:
        self._resolver = resolver
        self._client = client or httpx.AsyncClient(limits=httpx.Limits(max_connections=256), trust_env=False)
        self._connect_timeout = connect_timeout
        self._max_failover = max_failover
        self._rr = itertools.count()

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = ConsulResolver()
        return self._resolver

    async def call(self, request: NodeRequest, payload: Any) -> NodeResponse:
        url = request.direct_url
        if url is not None:
            return await self._send(request, url, payload, instance=url.split("://", 1)[-1].split("/", 1)[0])
        instances = await self.resolver.instances(request.service)
        if not instances:
            raise NodeCallError("no_instance", f"no healthy instance of service {request.service!r}")
        start = next(self._rr)
        tries = min(len(instances), self._max_failover)
        last: NodeCallError | None = None
        for i in range(tries):
            instance = instances[(start + i) % len(instances)]
            try:
                response = await self._send(
                    request, f"{request.protocol}://{instance}{request.endpoint}", payload, instance=instance
                )
            except NodeCallError as exc:
                if exc.kind != "unavailable":
                    exc.attempts = i + 1
                    raise
                log.info("node %s: %s unreachable, trying another instance", request.node, instance)
                last = exc
                continue
            response.attempts = i + 1
            return response
        assert last is not None
        last.attempts = tries
        raise last

    async def _send(self, request: NodeRequest, url: str, payload: Any, *, instance: str) -> NodeResponse:
        headers = dict(request.headers)
        if request.api_key:
            headers["Authorization"] = f"Bearer {request.api_key}"
        timeout = httpx.Timeout(request.timeout, connect=min(request.timeout, self._connect_timeout))
        req = self._client.build_request("POST", url, json=payload, headers=headers, timeout=timeout)
        try:
            async with asyncio.timeout(request.timeout):
                resp = await self._client.send(req, stream=True)
        except TimeoutError as exc:
            raise NodeCallError(
                "timeout", f"no response within {request.timeout}s", instance=instance
            ) from exc
        except _CONNECT_ERRORS as exc:
            raise NodeCallError("unavailable", f"cannot connect: {exc!r}", instance=instance) from exc
        except httpx.TimeoutException as exc:
            raise NodeCallError(
                "timeout", f"no response within {request.timeout}s", instance=instance
            ) from exc
        except httpx.HTTPError as exc:
            raise NodeCallError("unavailable", f"request failed: {exc!r}", instance=instance) from exc
        content_type = resp.headers.get("content-type", "")
        if content_type.startswith("text/event-stream") and resp.status_code < 400:
            return NodeResponse(
                resp.status_code,
                content_type,
                instance=instance,
                stream=_chunks(resp, request.node, instance),
                close=resp.aclose,
            )
        try:
            async with asyncio.timeout(request.timeout):
                raw = await resp.aread()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise NodeCallError(
                "timeout",
                f"body not received within {request.timeout}s",
                instance=instance,
                status=resp.status_code,
            ) from exc
        except httpx.HTTPError as exc:
            raise NodeCallError(
                "unavailable", f"reading the body failed: {exc!r}", instance=instance
            ) from exc
        finally:
            await resp.aclose()
        body = node_body(content_type, raw, resp.status_code, instance)
        return NodeResponse(resp.status_code, content_type, body=body, instance=instance)

    async def aclose(self) -> None:
        await self._client.aclose()
        closer = getattr(self._resolver, "aclose", None)
        if closer is not None:
            await closer()


async def _chunks(resp: httpx.Response, node: str, instance: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in resp.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        raise NodeCallError("unavailable", f"stream from {node} broke: {exc!r}", instance=instance) from exc
    finally:
        await resp.aclose()
