"""The ASGI application ``python -m gateway`` serves: the proxy fast path in front of FastAPI.

``GatewayASGI(app)`` answers ``/svc/...`` and service-declared routes itself (request id,
access log, metrics included) and hands everything else to the FastAPI app. Measured with
py-spy under wrk, this skips FastAPI's and Starlette's per-request entry work (app call,
telemetry check, error middleware, a ``send`` wrapper), a noticeable share of the proxy's
CPU per request. ``create_app`` alone still serves ``/svc/...`` correctly (through the same handler as a
middleware), just a little slower.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from .core import GatewayCore
from .observability.access_recorder import AccessRecorder
from .proxy.handler import PREFIX, declared_route, proxy_declared, proxy_request, send_json
from .settings import GatewaySettings

__all__ = ["GatewayASGI"]

log = logging.getLogger("gateway.proxy")


class GatewayASGI:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        settings: GatewaySettings = app.state.settings
        self.recorder = AccessRecorder(settings, app_ref=app)
        # The dict behind ``app.state``: State.__getattr__ costs ~0.8 µs a call, a dict get ~0.05.
        self._state: dict[str, object] = app.state._state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        core: GatewayCore | None = self._state.get("core")  # type: ignore[assignment]
        route = None
        if not scope["path"].startswith(PREFIX):
            # A service-declared route (urlprefix- tag)? Else FastAPI's own routes.
            route = declared_route(core, scope) if core is not None else None
            if route is None:
                await self.app(scope, receive, send)
                return
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
