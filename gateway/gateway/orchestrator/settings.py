"""Settings of the flows extension (environment / ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["SHIPPED_FLOWS_DIR", "FlowSettings"]

# gateway/flows/ next to the gateway package in the source tree
SHIPPED_FLOWS_DIR = Path(__file__).resolve().parents[2] / "flows"


class FlowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    gateway_flows_dir: Path | None = Field(
        default=None,
        description="directory of *.yaml/*.yml/*.json flow files; default the shipped gateway/flows/",
    )
    gateway_flows_enabled: bool = Field(default=True, description="load flow files at start-up")
    gateway_flow_timeout: float = Field(default=30.0, gt=0, description="default per-node timeout in seconds")
    gateway_flow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated literal hosts flow nodes may call (names, *.suffix, IPs, CIDRs; "
        "* = any); metadata/link-local addresses, Consul and the gateway itself are refused regardless",
    )

    @field_validator("gateway_flow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value

    @property
    def flows_dir(self) -> Path:
        return self.gateway_flows_dir or SHIPPED_FLOWS_DIR
