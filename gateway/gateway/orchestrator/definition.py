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

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .constants import ServiceType
from .host_policy import current_host_policy

__all__ = ["RESERVED_PREFIXES", "FlowDefinition", "NodeDefinition"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# What may go on an HTTP/1.1 request line and in a header (RFC 9110/9112): no CR/LF/controls.
# Used with fullmatch: "$" would let a trailing newline through.
_TARGET = re.compile(r"^/[\x21-\x7e]{0,2047}$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]{0,8192}$")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]{1,253}|[0-9A-Fa-f:.]{2,45})$")
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
        if not _TARGET.fullmatch(value):
            raise ValueError(
                "endpoint must be a path of printable ASCII without spaces or line breaks "
                "(percent-encode others)"
            )
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name!r} is not an HTTP token")
            if not _HEADER_VALUE.fullmatch(text):
                raise ValueError(
                    f"header {name!r}: value must be latin-1 text without line breaks or controls"
                )
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and not _HOST.fullmatch(value):
            raise ValueError("host must be a host name or an IP address")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> NodeDefinition:
        if self.host is not None:
            reason = current_host_policy().refusal(self.host, self.port)
            if reason is not None:
                raise ValueError(reason)
        return self

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
