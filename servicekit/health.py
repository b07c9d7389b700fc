"""Health endpoints every service exposes, with one meaning each.

- ``GET /health``: liveness, and the target of the Consul HTTP check. 200 when the
  service can answer requests; 503 when its readiness probe says ``unavailable`` or
  ``starting`` (so Consul never routes to a replica whose model is not loaded).
- ``GET /ready``: readiness with details; 200 for ``ok`` and ``degraded`` (still
  serving), 503 otherwise.
- ``GET /v1/health_check`` and ``GET /v1/health``: the OPEA shape
  (``Service Title``, ``Service Description``) plus the same status and details.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

__all__ = ["HealthReport", "ReadinessProbe", "health_router"]

Status = Literal["ok", "degraded", "starting", "unavailable"]
_SERVING: frozenset[str] = frozenset({"ok", "degraded"})


@dataclass(frozen=True)
class HealthReport:
    status: Status = "ok"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def serving(self) -> bool:
        return self.status in _SERVING


ReadinessProbe = Callable[[], HealthReport]


def health_router(
    *,
    title: str,
    description: str,
    readiness: ReadinessProbe | None = None,
    liveness_info: Callable[[], dict[str, Any]] | None = None,
) -> APIRouter:
    """Routes ``/health``, ``/ready``, ``/v1/health_check``, ``/v1/health`` for one service."""
    router = APIRouter(tags=["health"])
    probe: ReadinessProbe = readiness or (lambda: HealthReport())

    def _health() -> JSONResponse:
        report = probe()
        body: dict[str, Any] = {"status": "ok" if report.serving else report.status}
        if liveness_info:
            body.update(liveness_info())
        return JSONResponse(body, status_code=200 if report.serving else 503)

    def _ready() -> JSONResponse:
        report = probe()
        return JSONResponse(
            {"status": report.status, **report.details}, status_code=200 if report.serving else 503
        )

    def _opea() -> JSONResponse:
        report = probe()
        body = {"Service Title": title, "Service Description": description, "status": report.status}
        body.update(report.details)
        return JSONResponse(body, status_code=200 if report.serving else 503)

    router.add_api_route("/health", _health, methods=["GET"], summary="Liveness (Consul check target)")
    router.add_api_route("/ready", _ready, methods=["GET"], summary="Readiness with details")
    router.add_api_route("/v1/health_check", _opea, methods=["GET"], summary="OPEA health check")
    router.add_api_route("/v1/health", _opea, methods=["GET"], summary="OPEA health check (alias)")
    return router
