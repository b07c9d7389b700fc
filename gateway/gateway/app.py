"""The gateway application factory.

``create_app(settings, extensions)`` returns a FastAPI app whose lifespan builds the
``GatewayCore`` (discovery watchers, upstream session), starts each extension with
``await ext.start(core)``, then registers the gateway in Consul (servicekit). Shutdown runs
the other way: deregister, ``ext.stop()`` in reverse order, stop the core.

``/svc/{service}/{path}`` is served by a raw ASGI handler placed in front of FastAPI's router
(the hot path skips routing and validation); its FastAPI route exists for ``/docs`` and
reaches the same handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute

from servicekit import HealthReport, create_service_app

from .api import cluster_view, dashboard, metrics_route, models, predict, proxy_docs, routes_view, statistics
from .consul_client import AgentRegistrar
from .core import GatewayCore
from .extension_protocol import GatewayExtension
from .limits import BodyLimitMiddleware
from .observability.access_log_sink import BufferedAccessHandler, install_access_handler
from .observability.access_recorder import AccessMiddleware
from .proxy.handler import ProxyMiddleware
from .settings import GatewaySettings
from .upstream import UpstreamError

__all__ = ["create_app"]

log = logging.getLogger("gateway.app")


_TITLE = "gateway"
_DESCRIPTION = (
    "Consul-backed service-discovery gateway: routes to passing instances from a cached routing "
    "table (blocking-query watchers), balances (random, round_robin, least_in_flight, p2c), retries "
    "connect failures on another instance and ejects failing instances."
)


def _readiness(app: FastAPI) -> Callable[[], HealthReport]:
    def probe() -> HealthReport:
        core: GatewayCore | None = getattr(app.state, "core", None)
        if core is None or not core.discovery.ready:
            details = core.discovery.status() if core is not None else {}
            return HealthReport("starting", {**details, "reason": "no routing table yet"})
        status = core.discovery.status()
        return HealthReport("ok" if core.discovery.healthy else "degraded", status)

    return probe


def _load_default_extensions(settings: GatewaySettings) -> list[GatewayExtension]:
    from .extensions import default_extensions

    return default_extensions(settings)


def _route_paths(app: FastAPI) -> Iterator[str]:
    for route in app.router.routes:
        # FastAPI >= 0.16x includes routers lazily: their routes are reached through
        # ``effective_route_contexts`` (each with its full ``path``).
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                yield str(getattr(context, "path", ""))
        else:
            yield str(getattr(route, "path", ""))


def _own_segments(app: FastAPI) -> frozenset[str]:
    """First path segments of the gateway's own routes (``api``, ``docs``, ``svc``, ...):
    service-declared routes never shadow them."""
    segments = {"svc"}
    for path in _route_paths(app):
        first = path[1:].partition("/")[0]
        if first and "{" not in first:
            segments.add(first)
    return frozenset(segments)


def create_app(
    settings: GatewaySettings | None = None, extensions: Sequence[GatewayExtension] | None = None
) -> FastAPI:
    """Build the gateway app; ``extensions=None`` runs ``extensions.default_extensions``."""
    settings = settings or GatewaySettings()
    exts = list(extensions) if extensions is not None else _load_default_extensions(settings)
    started: list[GatewayExtension] = []
    holder: dict[str, FastAPI] = {}

    access_handler: list[BufferedAccessHandler] = []

    async def on_startup(app: FastAPI) -> None:
        if settings.access_log:
            handler = install_access_handler()
            if handler is not None:
                access_handler.append(handler)
        core = GatewayCore(settings)
        core.set_reserved_segments(_own_segments(app))
        await core.start()
        app.state.core = core
        for ext in exts:
            await ext.start(core)
            started.append(ext)
            log.info("extension %s started", getattr(ext, "name", type(ext).__name__))
        core.set_reserved_segments(_own_segments(app))  # extensions may have added routes

    async def on_shutdown(app: FastAPI) -> None:
        while started:
            ext = started.pop()
            try:
                await ext.stop()
            except Exception:
                log.exception("extension %s failed to stop", getattr(ext, "name", type(ext).__name__))
        core: GatewayCore | None = getattr(app.state, "core", None)
        if core is not None:
            await core.stop()
        for handler in access_handler:
            handler.flush()

    routers: list[APIRouter] = [
        predict.router,
        models.router,
        routes_view.router,
        cluster_view.router,
        dashboard.router,
        statistics.router,
        metrics_route.router,
        proxy_docs.router,
    ]
    plain_routes: list[BaseRoute] = []
    for ext in exts:
        for item in ext.routers():
            if isinstance(item, APIRouter):
                routers.append(item)
            else:
                plain_routes.append(item)

    def probe() -> HealthReport:
        return _readiness(holder["app"])()

    app = create_service_app(
        settings,
        title=_TITLE,
        description=_DESCRIPTION,
        routers=routers,
        readiness=probe,
        tags=["gateway"],
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        # The gateway registers itself through the core's Consul client (its one Consul module).
        registration_agent=lambda app: AgentRegistrar(app.state.core.consul.agent),
    )
    holder["app"] = app
    app.router.routes.extend(plain_routes)  # after every router: they must not shadow one
    app.state.core = None
    app.state.extensions = exts

    @app.exception_handler(UpstreamError)
    async def _upstream_error(_request: Request, exc: UpstreamError) -> JSONResponse:
        return JSONResponse(exc.to_body(), status_code=exc.status_code)

    # Order: the access middleware sees every request (ids, logs, metrics); the proxy
    # middleware then answers /svc/... without entering FastAPI's router.
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.request_body_max, max_depth=settings.json_max_depth
    )
    app.add_middleware(ProxyMiddleware)
    app.add_middleware(AccessMiddleware, settings=settings)
    return app
