"""Typed request/response bodies of the gateway's own routes (shown in /docs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from servicekit.contracts import GDPGrowthInput

__all__ = [
    "ErrorBody",
    "GDPGrowthRequest",
    "InstanceView",
    "ModelsAvailable",
    "PredictServices",
    "RoutesView",
    "ServiceView",
    "StatisticsView",
    "StatsEntry",
]


class ErrorBody(BaseModel):
    detail: Any = Field(description="what went wrong")
    service: str | None = Field(default=None, description="the upstream service concerned")


class GDPGrowthRequest(GDPGrowthInput):
    """The model service's input (same validation, one definition) plus ``model`` to pick instances."""

    model: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="only instances serving this model (Consul tag 'model:<name>' or meta 'model')",
    )


class ModelsAvailable(BaseModel):
    models_by_service: dict[str, list[str]] = Field(description="'addr:port' → model names it serves")
    services: list[str] = Field(description="instances that answered, 'addr:port'")
    errors: dict[str, str] = Field(default_factory=dict, description="instances that did not answer, and why")


class PredictServices(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    services_seed: list[str] = Field(alias="Services:", description="seed-compatible key (same list)")
    services: list[str] = Field(description="healthy model instances, 'addr:port'")
    service: str = Field(description="the Consul service name of the models")


class InstanceView(BaseModel):
    id: str
    address: str
    port: int
    url: str
    tags: list[str]
    meta: dict[str, str]
    weights: dict[str, int]
    status: str = Field(default="passing", description="worst check: passing | warning")
    weight: int = Field(default=1, description="the Consul weight in use (Weights.Passing or .Warning)")
    in_flight: int
    ejected: bool


class ServiceView(BaseModel):
    name: str
    balancer: str
    instances: list[InstanceView]
    ejected: list[str]


class DeclaredRouteView(BaseModel):
    host: str = Field(description="'' = any host")
    prefix: str
    service: str
    strip: str
    tag: str
    rate: float | None = Field(default=None, description="this route's own requests/s (tag option rate=)")
    burst: int | None = None
    max_in_flight: int | None = None


class PolicyView(BaseModel):
    policy: dict[str, Any]
    versions: dict[str, list[str]] = Field(description="version → instance ids")
    in_flight: int = Field(default=0, description="requests in flight counted for max_in_flight")


class DeclarationError(BaseModel):
    service: str
    source: str = Field(description="tag | meta | kv | policy")
    key: str
    message: str


class RoutesView(BaseModel):
    discovery: str = Field(description="ok | degraded | starting")
    table_age_s: float = Field(description="seconds the table may be stale (0 while in sync)")
    table_built_s_ago: float
    table_index: int
    default_balancer: str
    services: list[ServiceView]
    routes: list[DeclaredRouteView] = Field(
        default_factory=list, description="service-declared routes (urlprefix- tags) as served"
    )
    policies: dict[str, PolicyView] = Field(
        default_factory=dict, description="services with traffic rules: policy and version groups"
    )
    errors: list[DeclarationError] = Field(
        default_factory=list, description="declarations ignored (bad tags, meta or KV policies, conflicts)"
    )
    details: dict[str, Any] = Field(default_factory=dict)


class StatsEntry(BaseModel):
    count: int
    errors: int
    error_rate: float
    mean_ms: float | None
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class StatisticsView(BaseModel):
    """Per kind (``route``, ``service``, and kinds extensions add, e.g. ``flow``, ``node``) → key → stats."""

    model_config = ConfigDict(extra="allow")

    since: float = Field(description="epoch seconds when counting started")
    uptime_s: float
    window: int = Field(description="latency quantiles are over the last this many samples per key")
    route: dict[str, StatsEntry] = Field(default_factory=dict, description="'METHOD /route/template' → stats")
    service: dict[str, StatsEntry] = Field(default_factory=dict, description="upstream service → stats")
