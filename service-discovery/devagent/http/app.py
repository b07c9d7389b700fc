"""The ASGI application: lifespan (check monitors), routing, Consul's 404/405/OPTIONS rules."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import MutableMapping
from typing import Any

from .. import jsonout
from ..acl import PermissionDenied
from ..acl.store import TokenNotFound
from ..agent import Agent
from ..config import AgentConfig
from ..decode import DecodeError
from ..errors import ApiError
from .acl_guard import exempt, post_filter, pre_check
from .endpoints import register_routes
from .query import DEFAULT_ACL_POLICY
from .render import Renderer
from .request import Receive, Request
from .request import Receive as _Receive
from .response import Response, Send, text_response
from .router import Router

__all__ = ["DevAgentApp"]

log = logging.getLogger("devagent.http")

_NOT_API = "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
_NOT_ENDPOINT = "Invalid URL path: not a recognized HTTP API endpoint\n"


class DevAgentApp:
    """``DevAgentApp(config)`` is an ASGI app; the agent starts its monitors on lifespan startup."""

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig()
        jsonout.configure(self.config.pretty)
        self.agent = Agent(self.config)
        DEFAULT_ACL_POLICY["value"] = self.config.acl_default_policy if self.config.acl_enabled else "allow"
        self.renderer = Renderer(self.agent)
        self.router = Router()
        register_routes(self.router, self.agent, self.renderer)
        self._started = False

    async def startup(self) -> None:
        if not self._started:
            self._started = True
            await self.agent.start()

    async def shutdown(self) -> None:
        if self._started:
            self._started = False
            await self.agent.close()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if not self._started:  # e.g. httpx.ASGITransport in tests, which sends no lifespan events
            await self.startup()
        req = Request(scope, receive)
        response = await self.dispatch(req)
        if response.stream is not None:
            await _send_stream(response, receive, send)
            return
        if (
            "pretty" in req.query
            and not self.config.pretty
            and response.headers.get("Content-Type") == "application/json"
            and response.body
        ):
            response.body = jsonout.prettify(response.body)
        await response.send(send, head_only=req.method == "HEAD")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def dispatch(self, req: Request) -> Response:
        matched = self.router.match(req.path)
        if matched is None:
            text = _NOT_ENDPOINT if "/v1/" in req.path else _NOT_API
            return text_response(404, text)
        route, rest = matched
        allow = "OPTIONS," + ",".join(route.methods)
        method = "GET" if req.method == "HEAD" and "GET" in route.methods else req.method
        if method == "OPTIONS":
            return Response(200, b"", {"Allow": allow})
        if method not in route.methods:
            return text_response(405, f"method {req.method} not allowed", {"Allow": allow})
        started = time.perf_counter()
        acl = self.agent.acl
        try:
            if acl is not None and not exempt(route.pattern):
                try:
                    req.authz = acl.resolve(req.token())
                except TokenNotFound:
                    return text_response(403, "ACL not found")
                await pre_check(self.agent, req, route.pattern, rest)
                return post_filter(req, route.pattern, await route.handler(req, rest))
            return await route.handler(req, rest)
        except PermissionDenied as exc:
            return text_response(403, exc.text)
        except TokenNotFound:
            return text_response(403, "ACL not found")
        except ApiError as exc:
            return text_response(exc.status, exc.message, exc.headers)
        except DecodeError as exc:
            return text_response(400, f"Request decode failed: {exc}")
        except Exception as exc:  # Consul answers 500 with the error text; keep the agent alive
            log.exception("handler failed for %s %s", req.method, req.path)
            return text_response(500, str(exc) or type(exc).__name__)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.agent.metrics.record_request(method, route.pattern, elapsed_ms)


async def _send_stream(response: Response, receive: _Receive, send: Send) -> None:
    """Send chunks as they come until the stream ends or the client goes away."""
    assert response.stream is not None
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(disconnected())
    stream = response.stream
    try:
        while True:
            chunk_task = asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({chunk_task, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if chunk_task not in done:
                chunk_task.cancel()
                return
            try:
                chunk = chunk_task.result()
            except StopAsyncIteration:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        return
    finally:
        watcher.cancel()
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
