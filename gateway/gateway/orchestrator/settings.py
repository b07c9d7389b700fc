"""Settings of the flows extension (environment / ``.env``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @property
    def flows_dir(self) -> Path:
        return self.gateway_flows_dir or SHIPPED_FLOWS_DIR
