"""The echo service application."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit import create_service_app

from .routes import router
from .settings import EchoSettings

__all__ = ["create_app"]


def create_app(settings: EchoSettings | None = None) -> FastAPI:
    settings = settings or EchoSettings()
    return create_service_app(
        settings,
        title="echo-service",
        description="Returns the JSON it receives; the smallest real service.",
        routers=[router],
        tags=["echo"],
    )
