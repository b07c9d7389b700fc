"""A model's autoscaling policy, as PUT by an operator and stored in Consul KV.

Defaults follow the systems that scale on concurrency: Ray Serve's target of 2 ongoing
requests per replica; Knative KPA's 60 s stable and 6 s panic windows, panic at 2× the
target, immediate scale-up; a slow scale-down (Ray: 600 s; here 300 s).
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AutoscalingPolicy"]


class AutoscalingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_replicas: int = Field(default=1, ge=0, le=100, description="never fewer (0: scale to zero)")
    max_replicas: int = Field(
        default=4, ge=0, le=100, description="never more (also capped by REPLICA_MAX_PER_MODEL)"
    )
    target_in_flight: float = Field(
        default=2.0, gt=0, le=10_000, description="requests in flight per replica the autoscaler aims for"
    )
    stable_window_s: float = Field(
        default=60.0, gt=0, le=600, description="averaging window of the signal in normal mode"
    )
    panic_window_s: float = Field(
        default=6.0,
        gt=0,
        le=600,
        description="short window; panic when it asks for threshold× the replicas",
    )
    panic_threshold: float = Field(
        default=2.0, ge=1, le=100, description="panic when panic-window demand ≥ this × current replicas"
    )
    scale_up_delay_s: float = Field(
        default=0.0, ge=0, le=3600, description="stable-mode demand must stay higher this long (panic: none)"
    )
    scale_down_delay_s: float = Field(
        default=300.0, ge=0, le=86_400, description="demand must stay lower this long before a step down"
    )
    scale_to_zero_after_s: float = Field(
        default=300.0, ge=0, le=86_400, description="with min_replicas 0: idle this long before the last goes"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"max_replicas ({self.max_replicas}) must be >= min_replicas ({self.min_replicas})"
            )
        if self.panic_window_s > self.stable_window_s:
            raise ValueError(
                f"panic_window_s ({self.panic_window_s:g}) must be <= "
                f"stable_window_s ({self.stable_window_s:g})"
            )
        return self
