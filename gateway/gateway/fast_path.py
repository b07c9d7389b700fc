"""The ASGI application ``python -m gateway`` serves: the proxy fast path in front of FastAPI.

``GatewayASGI(app)`` answers ``/svc/...`` and service-declared routes itself (request id,
access log, metrics included) and hands everything else to the FastAPI app. Measured with
py-spy under wrk, this skips FastAPI's and Starlette's per-request entry work (app call,
telemetry check, error middleware, a ``send`` wrapper), a noticeable share of the proxy's
CPU per request. ``create_app`` alone still serves ``/svc/...`` correctly (through the same
handler as a middleware), just a little slower; ``python -m gateway`` also gives plain
proxied requests the direct path (``proxy/direct.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from .core import GatewayCore
from .observability.access_recorder import AccessRecorder
from .proxy.direct import DirectCycle, plan
from .proxy.handler import PREFIX, declared_route, proxy_declared, proxy_request, send_json
from .routing import Route
from .settings import GatewaySettings

__all__ = ["GatewayASGI"]

log = logging.getLogger("gateway.proxy")


class GatewayASGI:
    """The gateway's ASGI application: the proxy for ``/svc/...`` and declared routes, FastAPI
    for the rest. It is also the server's ``DirectApp`` (``gateway.server``): ``plan`` gives
    the direct path's coroutine for a plain proxied request (``proxy.direct``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        settings: GatewaySettings = app.state.settings
        self.recorder = AccessRecorder(settings, app_ref=app)
        self.max_hops = settings.gateway_max_hops  # for the direct path (HopLimit is outside)
        # The dict behind ``app.state``: State.__getattr__ costs ~0.8 µs a call, a dict get ~0.05.
        self._state: dict[str, object] = app.state._state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.handles(scope):
            await self.app(scope, receive, send)
            return
        await self._proxy(scope, receive, send)

    def handles(self, scope: Scope) -> bool:
        """Is this HTTP request proxied (``/svc/...`` or a service-declared route)?"""
        if scope["path"].startswith(PREFIX):
            return True
        core: GatewayCore | None = self._state.get("core")  # type: ignore[assignment]
        return core is not None and declared_route(core, scope) is not None

    def plans(self, scope: Scope) -> bool:
        return scope["raw_path"].startswith(b"/svc/") or self.handles(scope)

    def plan(self, cycle: DirectCycle) -> Coroutine[Any, Any, None] | None:
        """The direct path's coroutine for a plain proxied request (``proxy.direct``), else None."""
        core: GatewayCore | None = self._state.get("core")  # type: ignore[assignment]
        return plan(core, self.recorder, cycle, self.max_hops) if core is not None else None

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        core: GatewayCore | None = self._state.get("core")  # type: ignore[assignment]
        route: Route | None = scope.get("gateway.declared")  # declared_route's, kept in the scope
        started = time.perf_counter()
        self.recorder.start(scope)
        status = 500
        try:
            if core is None:
                status = await send_json(send, 503, {"detail": "gateway is starting", "service": None})
            elif route is not None:
                status = await proxy_declared(core, route, scope, receive, send)
            else:
                status = await proxy_request(core, scope, receive, send)
        except Exception:
            log.exception("proxy request failed")
            raise
        finally:
            self.recorder.record(scope, status, time.perf_counter() - started, core)
