"""Settings of the cluster layer: where shared state lives in Consul KV, how the leader is elected.

Every field can be set from the environment (upper-case name) or a ``.env`` file.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit import parse_go_duration

__all__ = ["ClusterSettings"]


class ClusterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    gateway_kv_prefix: str = Field(
        default="consul-gateway/",
        description="Consul KV prefix of the state all gateway instances share (flows/, policies/, leader)",
    )
    gateway_leader_election: bool = Field(
        default=True,
        description="elect one leader through a Consul session lock; off: this process always leads "
        "(a single gateway, or a Consul without sessions)",
    )
    gateway_leader_ttl: str = Field(
        default="10s",
        description="Go duration: TTL of the session behind the leader lock (Consul accepts its "
        "session_ttl_min, 10s by default, up to 24h; it expires a session between TTL and 2xTTL)",
    )
    gateway_leader_lock_delay: str = Field(
        default="5s", description="Go duration: after a leader's session dies, nobody may lock for this long"
    )
    gateway_leader_retry: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="seconds between lock attempts while the lock is free but delayed",
    )
    gateway_publish_interval: float = Field(
        default=5.0,
        gt=0,
        description="seconds between refreshes of this instance's entry under <prefix>instances/",
    )

    @field_validator("gateway_kv_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip().lstrip("/")
        if not value:
            raise ValueError("gateway_kv_prefix must not be empty")
        return value if value.endswith("/") else value + "/"

    @field_validator("gateway_leader_ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        if not 1 <= parse_go_duration(value) <= 86400:
            raise ValueError("gateway_leader_ttl must be between 1s and 24h")
        return value

    @field_validator("gateway_leader_lock_delay")
    @classmethod
    def _lock_delay(cls, value: str) -> str:
        if not 0 <= parse_go_duration(value) <= 60:
            raise ValueError("gateway_leader_lock_delay must be between 0s and 60s (Consul's range)")
        return value

    @property
    def leader_ttl_s(self) -> float:
        return parse_go_duration(self.gateway_leader_ttl)

    @property
    def lock_delay_s(self) -> float:
        return parse_go_duration(self.gateway_leader_lock_delay)

    def key(self, *parts: str) -> str:
        """``<prefix>part/part``: the full KV key of a piece of shared state."""
        return self.gateway_kv_prefix + "/".join(p.strip("/") for p in parts)
