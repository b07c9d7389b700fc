"""Echo service settings: the kit's service settings with the echo service's defaults."""

from __future__ import annotations

from pydantic import Field

from servicekit import ServiceSettings

__all__ = ["EchoSettings"]


class EchoSettings(ServiceSettings):
    service_name: str = Field(default="echo-service", min_length=1)
    service_port: int = Field(default=8001, ge=0, le=65535)
