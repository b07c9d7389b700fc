"""Settings every service shares: where Consul is, who this service is, how it is checked.

Values come from the environment and an optional ``.env`` file (pydantic-settings).
Consul's address is read, in this order, from ``CONSUL_HTTP_ADDR`` (Consul's own
variable), ``SERVICE_DISCOVERY_URL`` (the seed project's variable), else
``http://127.0.0.1:8500``.
"""

from __future__ import annotations

import socket
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .durations import parse_go_duration

__all__ = ["ConsulAddress", "ConsulSettings", "ServiceSettings"]


def _go_duration(value: str) -> str:
    parse_go_duration(value)
    return value


class ConsulAddress:
    """Consul's HTTP address split into what py-consul's constructor takes."""

    def __init__(self, url: str) -> None:
        if "://" not in url:
            url = f"http://{url}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"invalid Consul address {url!r} (expected http[s]://host:port)")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 8500)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"ConsulAddress({self.url!r})"


class ConsulSettings(BaseSettings):
    """Where Consul (or the dev agent) is and how to authenticate to it."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    consul_http_addr: str | None = Field(default=None, description="Consul's address (Consul's own variable)")
    service_discovery_url: str | None = Field(default=None, description="Consul's address (seed's variable)")
    consul_http_token: SecretStr | None = Field(default=None, description="ACL token sent as X-Consul-Token")
    consul_timeout: float = Field(default=5.0, gt=0, description="seconds for one non-blocking Consul call")

    @property
    def consul(self) -> ConsulAddress:
        return ConsulAddress(self.consul_http_addr or self.service_discovery_url or "http://127.0.0.1:8500")

    @property
    def consul_token(self) -> str | None:
        return self.consul_http_token.get_secret_value() if self.consul_http_token else None


class ServiceSettings(ConsulSettings):
    """Identity, binding and health-check settings of one service replica."""

    service_name: str = Field(default="service", min_length=1, description="name registered in Consul")
    service_id: str | None = Field(default=None, description="instance id; default name-address-port")
    service_host: str = Field(default="127.0.0.1", description="address the HTTP server binds to")
    service_port: int = Field(default=8000, ge=0, le=65535, description="port the HTTP server binds to")
    service_advertise_address: str | None = Field(
        default=None, description="address Consul and peers use to reach this replica; detected if unset"
    )
    service_tags: Annotated[list[str], NoDecode] = Field(default_factory=list, description="comma-separated")
    service_meta: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="comma-separated key=value pairs"
    )
    service_register: bool = Field(default=True, description="register in Consul at start-up")
    check_path: str = Field(default="/health", description="path of the HTTP health check")
    check_interval: str = Field(default="5s", description="Go duration between health checks")
    check_timeout: str = Field(default="2s", description="Go duration before a check counts as failed")
    check_deregister_after: str = Field(
        default="1m", description="Consul removes the instance after it is critical this long"
    )
    log_level: str = Field(default="info")
    log_format: str = Field(default="json", pattern="^(json|text)$")

    _durations = field_validator("check_interval", "check_timeout", "check_deregister_after")(
        lambda v: _go_duration(v)
    )

    @field_validator("service_tags", mode="before")
    @classmethod
    def _split_tags(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    @field_validator("service_meta", mode="before")
    @classmethod
    def _split_meta(cls, value: Any) -> Any:
        if isinstance(value, str):
            pairs: dict[str, str] = {}
            for item in filter(None, (p.strip() for p in value.split(","))):
                key, sep, val = item.partition("=")
                if not sep or not key.strip():
                    raise ValueError(f"service_meta item {item!r} is not key=value")
                pairs[key.strip()] = val.strip()
            return pairs
        return value

    def instance_id(self, advertised_address: str) -> str:
        """A stable id for this replica: explicit, else ``<name>-<address>-<port>``."""
        if self.service_id:
            return self.service_id
        return f"{self.service_name}-{advertised_address}-{self.service_port}"


def hostname() -> str:
    return socket.gethostname()
