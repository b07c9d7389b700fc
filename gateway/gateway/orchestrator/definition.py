"""Declarative flows: the schema of a flow file (YAML or JSON) or a ``PUT /api/flows/{name}`` body.

Example (``gateway/flows/echo.yaml``)::

    name: echo
    endpoint: /process
    nodes:
      echo:
        service: echo-service      # resolved through discovery (no host/port)
        endpoint: /echo

Multi-node flows add ``flow:``, the same list ``set_flow`` takes::

    flow:
      - service: classify
        next:
          - {service: spam, condition: 'output.score > 0.5'}
          - {service: fallback, condition: error}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .constants import ServiceType

__all__ = ["RESERVED_PREFIXES", "FlowDefinition", "NodeDefinition"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Paths (and everything below them) the gateway itself serves; a flow may not take them.
RESERVED_PREFIXES = (
    "/api",
    "/v1",
    "/svc",
    "/docs",
    "/redoc",
    "/static-offline-docs",
    "/openapi.json",
    "/metrics",
    "/health",
    "/ready",
    "/dashboard",
)


class NodeDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, description="service name in discovery (default: node name)")
    endpoint: str = Field(default="/", description="path POSTed to")
    host: str | None = Field(default=None, description="fixed address: call it directly instead of discovery")
    port: int | None = Field(default=None, ge=1, le=65535)
    protocol: Literal["http", "https"] = "http"
    timeout: float | None = Field(default=None, gt=0, le=3600, description="seconds per attempt")
    retries: int = Field(default=0, ge=0, le=10, description="extra attempts on timeouts, failures and 5xx")
    continue_on_error: bool = False
    reducer: Literal["merge", "namespaced", "list"] | None = None
    service_type: str = Field(default="UNDEFINED", description="OPEA ServiceType name (metadata)")
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("endpoint")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("endpoint must start with '/'")
        return value

    @field_validator("service_type")
    @classmethod
    def _service_type(cls, value: str) -> str:
        if value.upper() not in ServiceType.__members__:
            raise ValueError(f"unknown service_type {value!r}; one of {', '.join(ServiceType.__members__)}")
        return value.upper()


class FlowDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="flow name (default: file name without extension)")
    endpoint: str | None = Field(default=None, description="POST path the gateway serves this flow on")
    description: str = ""
    reducer: Literal["merge", "namespaced", "list"] = "merge"
    timeout: float | None = Field(default=None, gt=0, le=3600, description="default per-node timeout")
    output: str | None = Field(
        default=None, description="node whose output is the answer (default: the leaf)"
    )
    nodes: dict[str, NodeDefinition] = Field(min_length=1)
    flow: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise ValueError("name must be 1-100 characters of letters, digits, '_', '-', '.'")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("/") or value == "/" or "{" in value or "?" in value:
            raise ValueError("endpoint must be a literal path like '/process'")
        lowered = value.lower().rstrip("/")
        for prefix in RESERVED_PREFIXES:
            if lowered == prefix or lowered.startswith(prefix + "/"):
                raise ValueError(f"endpoint {value!r} is reserved by the gateway ({prefix})")
        return value.rstrip("/")

    @field_validator("nodes")
    @classmethod
    def _node_names(cls, value: dict[str, NodeDefinition]) -> dict[str, NodeDefinition]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"node name {name!r}: 1-100 characters of letters, digits, '_', '-', '.'")
        return value
