"""Sessions (Consul's session table): TTL timers, check bindings and invalidation.

Follows Consul's server code: ``agent/consul/session_endpoint.go`` (validation and its error
texts), ``agent/consul/state/session.go`` (create/destroy, release or delete of held keys, lock
delay) and ``agent/consul/session_ttl.go`` (the timer fires after TTL × 2, SessionTTLMultiplier).
A session is invalidated when it is destroyed, its TTL timer fires, one of its checks turns
critical or is deregistered, or its node is removed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from servicekit.durations import SECOND, format_duration

from .catalog import Catalog
from .errors import ApiError
from .kvstore import KVStore
from .model import CRITICAL
from .watch import WatchHub

__all__ = ["RELEASE", "DELETE", "Session", "SessionStore", "SESSION_TTL_MULTIPLIER", "MAX_LOCK_DELAY_NS"]

log = logging.getLogger("devagent.sessions")

RELEASE = "release"
DELETE = "delete"
SERF_CHECK = "serfHealth"
SESSION_TTL_MULTIPLIER = 2  # structs.SessionTTLMultiplier: the grace Consul gives before expiring
SESSION_TTL_MAX_NS = 24 * 3600 * SECOND  # structs.SessionTTLMax
MAX_LOCK_DELAY_NS = 60 * SECOND  # structs.MaxLockDelay


@dataclass
class Session:
    id: str
    node: str
    name: str = ""
    lock_delay_ns: int = 15 * SECOND
    behavior: str = RELEASE
    ttl: str = ""
    ttl_ns: int = 0
    node_checks: list[str] = field(default_factory=list)
    service_checks: list[str] = field(default_factory=list)
    create_index: int = 0
    modify_index: int = 0
    timer: asyncio.TimerHandle | None = None

    def check_ids(self) -> list[str]:
        return [*self.node_checks, *self.service_checks]

    def to_json(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Name": self.name,
            "Node": self.node,
            "LockDelay": self.lock_delay_ns,
            "Behavior": self.behavior,
            "TTL": self.ttl,
            "NodeChecks": list(self.node_checks) or None,
            "ServiceChecks": [{"ID": c, "Namespace": ""} for c in self.service_checks] or None,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
        }


class SessionStore:
    """All sessions; shares the catalog's index counter (one Raft log) and wakes ``sessions`` waiters."""

    def __init__(
        self,
        hub: WatchHub,
        catalog: Catalog,
        kv: KVStore,
        ttl_min_ns: Callable[[], int],
    ) -> None:
        self.hub = hub
        self.catalog = catalog
        self.kv = kv
        self._ttl_min_ns = ttl_min_ns
        self.sessions: dict[str, Session] = {}
        self.table_index = 0
        catalog.check_observers.append(self._check_changed)
        catalog.node_observers.append(self._node_removed)

    # -- reads ---------------------------------------------------------------------------------
    def index(self) -> int:
        return max(self.table_index, 1)

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def list(self, node: str | None = None) -> list[Session]:
        out = [self.sessions[k] for k in sorted(self.sessions)]
        if node is not None:
            out = [s for s in out if s.node.lower() == node.lower()]
        return out

    # -- writes --------------------------------------------------------------------------------
    def create(self, session: Session) -> str:
        """Validate like Session.Apply + sessionCreateTxn (errors are RPC errors: 500) and store."""
        if session.behavior == "":
            session.behavior = RELEASE
        if session.behavior not in (RELEASE, DELETE):
            raise ApiError(500, f"Invalid Behavior setting '{session.behavior}'")
        if session.ttl_ns and not (self._ttl_min_ns() <= session.ttl_ns <= SESSION_TTL_MAX_NS):
            raise ApiError(
                500,
                f"Invalid Session TTL '{session.ttl_ns}', must be between "
                f"[{format_duration(self._ttl_min_ns())}={format_duration(SESSION_TTL_MAX_NS)}]",
            )
        if not session.node:
            raise ApiError(500, "Must provide Node")
        if session.node not in self.catalog.nodes:
            raise ApiError(500, "Missing node registration")
        for check_id in session.check_ids():
            check = self.catalog.check_on(session.node, check_id)
            if check is None:
                raise ApiError(500, f"Missing check '{check_id}' registration")
            if check.cat_status == CRITICAL:
                raise ApiError(500, f"Check '{check_id}' is in {CRITICAL} state")
        while not session.id or session.id in self.sessions:
            session.id = str(uuid.uuid4())
        idx = self.catalog.next_index()
        session.create_index = session.modify_index = idx
        self.sessions[session.id] = session
        self._changed(idx)
        self._arm(session)
        return session.id

    def renew(self, session_id: str) -> Session | None:
        session = self.sessions.get(session_id)
        if session is not None:
            self._arm(session)
        return session

    def destroy(self, session_id: str) -> None:
        """Invalidate: drop the session, release or delete its keys, start their lock delay."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return  # idempotent, as in Consul
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        idx = self.catalog.next_index()
        delay_ns = min(session.lock_delay_ns, MAX_LOCK_DELAY_NS)
        self.kv.invalidate_session(
            session.id, delete=session.behavior == DELETE, lock_delay_ns=delay_ns, idx=idx
        )
        self._changed(idx)

    # -- internals -----------------------------------------------------------------------------
    def _changed(self, idx: int) -> None:
        self.table_index = idx
        self.hub.notify(["sessions"])

    def _arm(self, session: Session) -> None:
        if not session.ttl_ns:
            return
        if session.timer is not None:
            session.timer.cancel()
        loop = asyncio.get_running_loop()
        delay = session.ttl_ns * SESSION_TTL_MULTIPLIER / 1e9
        session.timer = loop.call_later(delay, self._expired, session.id)

    def _expired(self, session_id: str) -> None:
        if session_id in self.sessions:
            log.debug("Session TTL expired: %s", session_id)
            self.destroy(session_id)

    def _check_changed(self, node: str, check_id: str, status: str | None) -> None:
        """A check turned critical (status) or was removed (None): invalidate sessions bound to it."""
        if status is not None and status != CRITICAL:
            return
        doomed = [
            s.id
            for s in self.sessions.values()
            if s.node.lower() == node.lower() and check_id.lower() in (c.lower() for c in s.check_ids())
        ]
        for session_id in doomed:
            self.destroy(session_id)

    def _node_removed(self, node: str) -> None:
        for session in self.list(node):
            self.destroy(session.id)

    async def close(self) -> None:
        for session in self.sessions.values():
            if session.timer is not None:
                session.timer.cancel()
                session.timer = None
