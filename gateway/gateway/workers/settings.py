"""How many worker processes serve one gateway instance (``GATEWAY_WORKERS=N|auto``)."""

from __future__ import annotations

import os

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..cluster.identity import WORKER_ENV

__all__ = ["WORKERS_DIR_ENV", "WORKER_ENV", "WorkerSettings", "usable_cores"]

# Set by the supervisor for its workers: the directory of their peer sockets.
WORKERS_DIR_ENV = "GATEWAY_WORKERS_DIR"


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    gateway_workers: str = Field(
        default="1",
        description="worker processes serving the port (SO_REUSEPORT), each with its own watchers; "
        "'auto' = the usable cores",
    )
    gateway_worker_restart_max: float = Field(
        default=30.0, gt=0, description="longest back-off in seconds before restarting a worker that died"
    )

    @field_validator("gateway_workers")
    @classmethod
    def _count(cls, value: str) -> str:
        value = value.strip().lower()
        if value == "auto":
            return value
        if not value.isdigit() or not 1 <= int(value) <= 64:
            raise ValueError("GATEWAY_WORKERS must be a number from 1 to 64, or 'auto'")
        return value

    @property
    def count(self) -> int:
        return usable_cores() if self.gateway_workers == "auto" else int(self.gateway_workers)


def worker_index() -> int | None:
    """This process's worker number when a supervisor started it, else None."""
    raw = os.environ.get(WORKER_ENV)
    return int(raw) if raw and raw.isdigit() and os.environ.get(WORKERS_DIR_ENV) else None
