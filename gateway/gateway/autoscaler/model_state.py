"""What the autoscaler knows about one model between ticks (leader side)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .backoff import LaunchBackoff
from .decision import Decider, Decision

__all__ = ["ModelState"]


@dataclass
class ModelState:
    backoff: LaunchBackoff
    decider: Decider = field(default_factory=Decider)
    launched: set[str] = field(default_factory=set)  # replica ids the autoscaler launched
    launching: int = 0
    draining: str | None = None  # Consul id of the replica being drained
    action: asyncio.Task[None] | None = None
    last: Decision | None = None
    last_action: dict[str, Any] | None = None  # the last up/down: direction, reason, from, to, at
    note: str = ""  # why nothing happens although desired differs (e.g. no removable replica)

    @property
    def busy(self) -> bool:
        return self.action is not None and not self.action.done()
