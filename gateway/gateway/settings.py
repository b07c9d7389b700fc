"""Gateway settings: the kit's service settings plus discovery, balancing and upstream knobs.

Every field can be set from the environment (upper-case name, e.g. ``GATEWAY_BALANCER=p2c``
for ``gateway_balancer``) or a ``.env`` file.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from servicekit import ServiceSettings

from .limits.settings import LimitSettings

__all__ = ["BALANCER_NAMES", "GatewaySettings"]

BALANCER_NAMES: tuple[str, ...] = ("random", "round_robin", "least_in_flight", "p2c")


class GatewaySettings(LimitSettings, ServiceSettings):
    """Settings of one gateway process."""

    service_name: str = Field(default="gateway", min_length=1, description="name registered in Consul")
    service_port: int = Field(default=8000, ge=0, le=65535, description="port the HTTP server binds to")

    # Discovery -------------------------------------------------------------------------------
    discovery_exclude: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["consul"],
        description="comma-separated service names never routed to ('consul' always; the gateway's own "
        "name is added unless gateway_route_to_self)",
    )
    gateway_route_to_self: bool = Field(
        default=False, description="also route to services named like the gateway itself (off: avoids loops)"
    )
    watch_wait: str = Field(default="30s", description="Go duration of one Consul blocking query (wait=)")
    watch_coalesce: float = Field(
        default=0.05, ge=0, le=1.0, description="seconds to coalesce bursts of changes before a table rebuild"
    )
    watch_min_interval: float = Field(
        default=0.1, ge=0, description="token-bucket refill: minimum seconds between queries per watcher"
    )
    watch_backoff_max: float = Field(default=2.0, gt=0, description="max seconds between retries on errors")
    gateway_route_warning: bool = Field(
        default=False,
        description="also route instances whose worst check is 'warning' (weighted by Weights.Warning; "
        "0 = none); off: passing only, like Fabio (Traefik's strictChecks default routes warning too)",
    )
    restart_grace: float = Field(
        default=5.0,
        ge=0,
        description="after Consul restarts empty, keep last-known instances this long while they re-register",
    )

    # Balancing -------------------------------------------------------------------------------
    gateway_balancer: str = Field(
        default="random", description="default strategy: random | round_robin | least_in_flight | p2c"
    )
    balancer_seed: int | None = Field(default=None, description="seed for random strategies (tests)")

    # Upstream calls --------------------------------------------------------------------------
    upstream_timeout: float = Field(default=30.0, gt=0, description="seconds for a whole upstream call")
    upstream_try_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds one try waits for the response head; idempotent requests (GET/HEAD/OPTIONS, "
        "predictions) are then retried on another instance",
    )
    upstream_connect_timeout: float = Field(default=1.0, gt=0, description="seconds to open a connection")
    upstream_pool_size: int = Field(
        default=512, ge=1, description="idle keep-alive connections kept per upstream instance"
    )
    upstream_tls_verify: bool = Field(
        default=True, description="verify HTTPS upstreams' certificates and host names (off: testing only)"
    )
    upstream_ca_file: str | None = Field(
        default=None, description="PEM file of the CAs trusted for HTTPS upstreams (default: the system's)"
    )
    retry_attempts: int = Field(default=3, ge=1, le=10, description="tries on different instances")
    retry_deadline: float = Field(default=5.0, gt=0, description="seconds for all tries together")
    retry_unanswered: bool = Field(
        default=True,
        description="also retry non-idempotent requests when the upstream closed the connection before "
        "sending any response byte (a killed replica); connect failures are always retried",
    )
    buffer_request_max: int = Field(
        default=1 << 20,
        ge=0,
        description="request bodies up to this many bytes are buffered (retryable); larger ones stream",
    )

    # Passive ejection (nginx max_fails / Envoy outlier detection) -----------------------------
    eject_failures: int = Field(default=3, ge=1, description="consecutive failures that eject an instance")
    eject_seconds: float = Field(default=10.0, gt=0, description="how long an ejected instance is skipped")
    eject_max_share: float = Field(
        default=0.5, ge=0, le=1, description="never eject more than this share of a service's instances"
    )

    # Routes ----------------------------------------------------------------------------------
    model_service_name: str = Field(default="gdp-growth-model", description="service serving the models")
    model_fanout_timeout: float = Field(default=5.0, gt=0, description="seconds per instance for model lists")
    trust_forwarded_headers: bool = Field(
        default=False,
        description="let uvicorn take the client address from X-Forwarded-For (only behind a trusted proxy)",
    )
    access_log: bool = Field(default=True, description="one JSON access-log line per request")
    access_log_status: str = Field(
        default="",
        description=(
            "log only requests with these statuses ('400-599', '200,500-503'); with the other "
            "ACCESS_LOG_ filters a request is logged if any matches; none set: every request"
        ),
    )
    access_log_min_duration: str = Field(
        default="",
        description="log requests that took longer than this Go duration ('250ms'); see ACCESS_LOG_STATUS",
    )
    access_log_retried: bool = Field(
        default=False, description="log requests that took more than one attempt; see ACCESS_LOG_STATUS"
    )
    gateway_direct_proxy: bool = Field(
        default=True,
        description=(
            "serve plain proxied requests (/svc, declared routes) straight from the HTTP server "
            "(proxy/direct.py); false: every proxied request takes the general ASGI path (same "
            "answers, more CPU per request)"
        ),
    )
    dashboard_history_interval: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="seconds between two points of the dashboard's 15-minute history",
    )

    @field_validator("discovery_exclude", mode="before")
    @classmethod
    def _split_exclude(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value

    @field_validator("gateway_balancer")
    @classmethod
    def _known_balancer(cls, value: str) -> str:
        if value not in BALANCER_NAMES:
            raise ValueError(f"unknown balancer {value!r}; expected one of {', '.join(BALANCER_NAMES)}")
        return value

    @field_validator("watch_wait")
    @classmethod
    def _wait_duration(cls, value: str) -> str:
        from servicekit import parse_go_duration

        if parse_go_duration(value) <= 0:
            raise ValueError("watch_wait must be positive")
        return value

    @field_validator("access_log_status")
    @classmethod
    def _status_codes(cls, value: str) -> str:
        from .observability.access_filter import parse_statuses

        parse_statuses(value)
        return value

    @field_validator("access_log_min_duration")
    @classmethod
    def _min_duration(cls, value: str) -> str:
        from servicekit import parse_go_duration

        if value.strip():
            parse_go_duration(value)
        return value

    def excluded_services(self) -> frozenset[str]:
        """Names the discovery cache ignores: Consul itself, and the gateway unless told otherwise."""
        names = {"consul", *self.discovery_exclude}
        if not self.gateway_route_to_self:
            names.add(self.service_name)
        return frozenset(names)
