"""Autoscaler settings of one gateway process (environment names in upper case)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AutoscalerSettings"]


class AutoscalerSettings(BaseSettings):
    """How the autoscaler samples, decides and holds requests; the per-model policy is in KV."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    autoscaler_enabled: bool = Field(default=True, description="off: no routes, no decisions")
    autoscaler_tick: float = Field(
        default=1.0, gt=0, le=60, description="seconds between two decisions of the leader"
    )
    autoscaler_sample_interval: float = Field(
        default=0.25, gt=0, le=10, description="seconds between two samples of the in-flight counts"
    )
    autoscaler_publish_interval: float = Field(
        default=1.0, gt=0, le=60, description="seconds between two publications of this instance's load"
    )
    autoscaler_hold_max: int = Field(
        default=100,
        ge=0,
        le=10_000,
        description="requests held per model while a replica launches from zero (more: 503)",
    )
    autoscaler_hold_timeout: float = Field(
        default=60.0, gt=0, le=600, description="seconds a held request waits for a replica (then 503)"
    )
    autoscaler_drain_timeout: float = Field(
        default=30.0, ge=0, le=600, description="seconds a draining replica may take to finish its requests"
    )
    autoscaler_backoff_initial: float = Field(
        default=2.0, gt=0, le=600, description="seconds before retrying after a failed launch (doubles)"
    )
    autoscaler_backoff_max: float = Field(
        default=120.0, gt=0, le=3600, description="longest wait between launch attempts"
    )
