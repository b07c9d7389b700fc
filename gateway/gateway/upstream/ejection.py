"""Passive ejection (nginx ``max_fails``/``fail_timeout``, Envoy outlier detection).

``failures`` consecutive failures of one instance eject it for ``seconds``; a success resets
its count. At most ``max_share`` of a service's instances are ejected at once (but one may
always be ejected when the service has two or more, and never the last one), so a
gateway-side problem cannot empty a service.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..discovery.instance import Instance

__all__ = ["Ejector"]


@dataclass
class _State:
    failures: int = 0
    until: float = 0.0


class Ejector:
    def __init__(self, failures: int = 3, seconds: float = 10.0, max_share: float = 0.5) -> None:
        self.failures = failures
        self.seconds = seconds
        self.max_share = max_share
        self._state: dict[str, _State] = {}
        self.ejections = 0
        self._latest_until = 0.0  # no instance is ejected after this moment (fast path)

    def is_ejected(self, instance_id: str, now: float | None = None) -> bool:
        st = self._state.get(instance_id)
        if st is None or st.until == 0.0:
            return False
        return (now if now is not None else time.monotonic()) < st.until

    def ejected_ids(self, instances: Sequence[Instance]) -> list[str]:
        now = time.monotonic()
        return [i.id for i in instances if self.is_ejected(i.id, now)]

    def allowed(self, n: int) -> int:
        """How many of ``n`` instances may be ejected at the same time."""
        if n < 2 or self.max_share <= 0:
            return 0
        return min(n - 1, max(1, math.floor(self.max_share * n)))

    def success(self, instance_id: str) -> None:
        st = self._state.get(instance_id)
        if st is not None and st.failures:
            st.failures = 0

    def failure(self, instance: Instance, siblings: Sequence[Instance]) -> bool:
        """Count a failure of ``instance``; True if this ejected it."""
        st = self._state.setdefault(instance.id, _State())
        st.failures += 1
        now = time.monotonic()
        if st.failures < self.failures or self.is_ejected(instance.id, now):
            return False
        if len(self.ejected_ids(siblings)) >= self.allowed(len(siblings)):
            return False
        st.until = now + self.seconds
        self._latest_until = max(self._latest_until, st.until)
        st.failures = 0
        self.ejections += 1
        return True

    def filter(self, instances: Sequence[Instance]) -> Sequence[Instance]:
        """``instances`` minus the ejected ones."""
        if not self._latest_until:
            return instances  # nothing was ever ejected: the common case costs nothing
        now = time.monotonic()
        if now >= self._latest_until:
            self._latest_until = 0.0
            return instances
        return [i for i in instances if not self.is_ejected(i.id, now)]

    def forget(self, keep_ids: set[str]) -> None:
        """Drop state of instances that left the table."""
        for iid in [k for k in self._state if k not in keep_ids]:
            del self._state[iid]
