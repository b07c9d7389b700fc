"""Replica-management settings (environment names in upper case, e.g. ``GATEWAY_RUNTIME``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ReplicaSettings", "Runtime"]

Runtime = Literal["auto", "docker", "process", "swarm"]

_MEMORY = re.compile(r"^\d+[bkmg]?$", re.IGNORECASE)
_STACK = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


class ReplicaSettings(BaseSettings):
    """How the gateway launches model replicas (Docker containers or local processes)."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    gateway_runtime: Runtime = Field(
        default="auto",
        description="docker | process | swarm | auto (docker when the engine answers, else process); "
        "swarm = one Swarm service per model (docs/swarm.md)",
    )
    stack_name: str | None = Field(
        default=None,
        description="stack id in replica labels/names; default: the gateway container's compose project, "
        "else 'consul-gateway'",
    )
    replica_image: str = Field(default="consul-gateway/model-service:dev", min_length=1)
    replica_network: str | None = Field(
        default=None, description="Docker network for replicas; default: the gateway container's network"
    )
    replica_consul_addr: str | None = Field(
        default=None, description="Consul address replicas use; default: the gateway's own"
    )
    replica_port: int = Field(default=8101, ge=1, le=65535, description="port a replica container listens on")
    replica_max_per_model: int = Field(
        default=5, ge=0, le=100, description="cap of launched replicas per model"
    )
    replica_cpus: float = Field(default=1.0, gt=0, le=64, description="CPU limit of one replica container")
    replica_memory: str = Field(
        default="512m", description="memory limit of one replica container (e.g. 512m)"
    )
    replica_launch_timeout: float = Field(
        default=60.0, gt=0, le=600, description="seconds for a new replica to be passing and routed"
    )
    replica_check_interval: str = Field(
        default="1s",
        description="Consul check interval of launched replicas; Consul staggers a new check's first run "
        "randomly within it, so a short interval shortens launch-to-serving",
    )
    replica_stop_timeout: float = Field(
        default=10.0, ge=0, le=120, description="SIGTERM grace before SIGKILL"
    )
    replica_unhealthy_grace: float = Field(
        default=60.0,
        ge=0,
        description="at start, managed replicas still not passing after this long are removed",
    )
    replica_remove_on_stop: bool = Field(
        default=True, description="remove the replicas this gateway launched when it stops"
    )
    replica_placement: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="swarm runtime: ';'-separated placement constraints (node.role==worker) and "
        "spread preferences (spread=node.id)",
    )
    replica_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated known model names; default: read the artifacts"
    )
    replica_models_dir: Path | None = Field(
        default=None, description="directory of model metadata JSON files (default: the model service's)"
    )

    @field_validator("replica_models", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value

    @field_validator("replica_placement", mode="before")
    @classmethod
    def _placement(cls, value: Any) -> Any:
        from .placement import parse_placement

        if isinstance(value, str):
            value = [s.strip() for s in value.split(";") if s.strip()]
        parse_placement(value)  # ValueError names the bad item
        return value

    @field_validator("replica_memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not _MEMORY.match(value):
            raise ValueError(f"replica_memory {value!r} is not a size like 512m or 1g")
        return value.lower()

    @field_validator("replica_check_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        from servicekit import parse_go_duration

        if parse_go_duration(value) <= 0:
            raise ValueError("replica_check_interval must be a positive Go duration such as 1s")
        return value

    @field_validator("stack_name")
    @classmethod
    def _stack(cls, value: str | None) -> str | None:
        if value is not None and not _STACK.match(value):
            raise ValueError(f"stack_name {value!r}: lower-case letters, digits, '_', '.', '-' (max 63)")
        return value
