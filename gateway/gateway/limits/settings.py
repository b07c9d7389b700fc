"""Settings of the client limits (mixed into ``GatewaySettings``; each one an env variable)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

__all__ = ["LimitSettings"]


class LimitSettings(BaseSettings):
    http_max_request_line: int = Field(
        default=8192, ge=256, description="bytes of the request target (URL) before 414"
    )
    http_max_header_bytes: int = Field(
        default=65536, ge=1024, description="bytes of a request head (line + headers) before 431"
    )
    http_max_headers: int = Field(default=100, ge=8, description="header fields per request before 431")
    http_header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds to receive a whole request head (new connections: from accept)",
    )
    http_keepalive_timeout: float = Field(
        default=5.0, gt=0, description="seconds an idle keep-alive connection stays open after a response"
    )
    request_body_max: int = Field(
        default=4 << 20,
        ge=1024,
        description="bytes of a request body on buffered routes (flows, predictions, management) before 413; "
        "/svc/... streams",
    )
    json_max_depth: int = Field(
        default=64, ge=2, le=200, description="nesting depth of a JSON body on buffered routes before 400"
    )
    gateway_max_hops: int = Field(
        default=10, ge=1, le=100, description="X-Gateway-Hops a request may arrive with before 508 (loops)"
    )
    proxy_body_max: int = Field(
        default=1 << 30,
        ge=0,
        description="bytes of a request body streamed through /svc/... before 413 (declared or counted)",
    )
