"""Label keys on everything the project creates in Docker; guards and cleanup select by them."""

from __future__ import annotations

__all__ = [
    "MANAGED",
    "MODEL",
    "OWNER",
    "PORT",
    "ROLE",
    "ROLE_REPLICA",
    "STACK",
    "replica_filters",
]

MANAGED = "io.consul-gateway.managed"
STACK = "io.consul-gateway.stack"
ROLE = "io.consul-gateway.role"
MODEL = "io.consul-gateway.model"
PORT = "io.consul-gateway.port"
OWNER = "io.consul-gateway.owner"  # the gateway instance that launched it (removed on its stop)
ROLE_REPLICA = "replica"


def replica_filters(stack: str, model: str | None = None) -> list[str]:
    """Docker label filters selecting this stack's replicas (of one model)."""
    filters = [f"{MANAGED}=true", f"{STACK}={stack}", f"{ROLE}={ROLE_REPLICA}"]
    if model is not None:
        filters.append(f"{MODEL}={model}")
    return filters
