"""Build and run a service: FastAPI app with health routes and the Consul registration lifespan."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from .address import advertised_address
from .health import ReadinessProbe, health_router
from .logconfig import configure_logging
from .registration import RegistrationAgent, RegistrationSpec, ServiceRegistration, consul_client
from .settings import ServiceSettings
from .validation import install_validation_handler

__all__ = ["DOCS_ASSETS_PATH", "create_service_app", "run_service"]

#: Where /docs and /redoc load their JavaScript and CSS from (served by the app itself).
DOCS_ASSETS_PATH = "/static-offline-docs"

log = logging.getLogger("servicekit.app")

Hook = Callable[[FastAPI], Awaitable[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    readiness: ReadinessProbe | None = None,
    liveness_info: Callable[[], dict[str, Any]] | None = None,
    tags: Sequence[str] = (),
    meta: Mapping[str, str] | None = None,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    registration_agent: Callable[[FastAPI], RegistrationAgent] | None = None,
) -> FastAPI:
    """A FastAPI app that registers itself in Consul once ``on_startup`` has finished.

    Start-up order: ``on_startup`` (e.g. load a model; an exception stops the service),
    then registration in the background (never blocks or fails start-up). Shutdown order:
    deregistration first (stop new traffic), then ``on_shutdown``. ``registration_agent(app)``
    (called after ``on_startup``) gives the agent client to register with; default py-consul.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if on_startup is not None:
            await on_startup(app)
        registration: ServiceRegistration | None = None
        if settings.service_register:
            address = advertised_address(
                settings.service_advertise_address,
                settings.service_host,
                settings.consul.host,
                settings.consul.port,
            )
            spec = RegistrationSpec.from_settings(settings, address, tags=tags, meta=meta)
            agent = registration_agent(app) if registration_agent is not None else consul_client(settings)
            registration = ServiceRegistration(agent, spec)
            registration.start()
        app.state.registration = registration
        try:
            yield
        finally:
            if registration is not None:
                await registration.stop()
            if on_shutdown is not None:
                await on_shutdown(app)

    # Swagger UI and ReDoc assets come from the fastapi-offline package, not a CDN: /docs
    # renders on machines without internet.
    app = FastAPIOffline(
        title=title, description=description, version=version, lifespan=lifespan, static_url=DOCS_ASSETS_PATH
    )
    app.state.settings = settings
    install_validation_handler(app)
    app.include_router(
        health_router(title=title, description=description, readiness=readiness, liveness_info=liveness_info)
    )
    for router in routers:
        app.include_router(router)
    return app


def run_service(
    app: FastAPI | str,
    settings: ServiceSettings,
    *,
    access_log: bool = False,
    sockets: list[socket.socket] | None = None,
    **uvicorn_kwargs: Any,
) -> None:
    """Serve ``app`` with uvicorn on the configured address; logs as configured.

    ``sockets``: already bound listening sockets to serve instead (e.g. one worker's
    SO_REUSEPORT socket). uvicorn turns SIGTERM/SIGINT into a lifespan shutdown, which
    deregisters the replica.
    """
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    options: dict[str, Any] = {
        "host": settings.service_host,
        "port": settings.service_port,
        "log_config": None,
        "access_log": access_log,
        "timeout_graceful_shutdown": 10,
        **uvicorn_kwargs,
    }
    if sockets is None:
        uvicorn.run(app, **options)
    else:
        uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=sockets)
