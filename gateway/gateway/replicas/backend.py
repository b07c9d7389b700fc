"""The interface every replica runtime (Docker, local processes) implements."""

from __future__ import annotations

from typing import Protocol

from .types import ReplicaInfo

__all__ = ["LaunchSpec", "ReplicaBackend"]


class LaunchSpec:
    """Everything a backend needs to start one replica of ``model``."""

    __slots__ = ("check_interval", "consul_addr", "consul_token", "model", "name", "service_name")

    def __init__(
        self,
        *,
        model: str,
        name: str,
        service_name: str,
        consul_addr: str,
        consul_token: str | None,
        check_interval: str = "1s",
    ) -> None:
        self.check_interval = check_interval
        self.model = model
        self.name = name
        self.service_name = service_name
        self.consul_addr = consul_addr
        self.consul_token = consul_token

    def environment(self, host: str, port: int) -> dict[str, str]:
        """The replica's environment: who it is, where Consul is, where to listen."""
        env = {
            "GDP_MODEL_NAME": self.model,
            "SERVICE_NAME": self.service_name,
            "SERVICE_ID": self.name,  # the Consul id, so the gateway finds it in its table
            "SERVICE_HOST": host,
            "SERVICE_PORT": str(port),
            "CONSUL_HTTP_ADDR": self.consul_addr,
            "CHECK_INTERVAL": self.check_interval,
        }
        if self.consul_token:
            env["CONSUL_HTTP_TOKEN"] = self.consul_token
        return env


class ReplicaBackend(Protocol):
    """All methods only ever see replicas this gateway's stack manages."""

    kind: str
    stack: str

    async def start(self) -> None: ...

    async def launch(self, spec: LaunchSpec) -> ReplicaInfo: ...

    async def get(self, replica_id: str) -> ReplicaInfo | None: ...

    async def list(self, model: str | None = None) -> list[ReplicaInfo]: ...

    async def remove(self, replica_id: str) -> ReplicaInfo: ...

    async def logs(self, replica_id: str, lines: int = 20) -> str: ...

    async def close(self) -> None: ...
