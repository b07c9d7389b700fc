"""Where operators' policies live in Consul KV (``<GATEWAY_KV_PREFIX>policies/<service>``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PolicySettings"]


class PolicySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    # The same variable as the cluster layer's shared-state prefix: policies sit beside flows.
    gateway_kv_prefix: str = Field(
        default="consul-gateway/",
        description="Consul KV prefix of shared state; policies under <prefix>policies/",
    )

    @field_validator("gateway_kv_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip().lstrip("/")
        if not value:
            raise ValueError("gateway_kv_prefix must not be empty")
        return value if value.endswith("/") else value + "/"
