"""The gateway's one client of Consul's HTTP API (aiohttp): blocking catalog/health reads,
KV entries under a prefix with CAS writes and lock acquire/release.

Nothing else in the gateway process speaks HTTP to Consul: discovery, the cluster state
(flows, policies, leader) and the gateway's own registration all go through here.
"""

from __future__ import annotations

from .agent import AgentAPI, AgentRegistrar
from .blocking import Fetch, follow, jittered_wait
from .client import ConsulClient
from .errors import ConsulError, ConsulRefused, ConsulUnavailable
from .kv import KVEntry, KVStore
from .ratelimit import TokenBucket
from .sessions import SessionInfo, SessionsAPI
from .watch import PrefixListener, PrefixWatch

__all__ = [
    "AgentAPI",
    "AgentRegistrar",
    "ConsulClient",
    "ConsulError",
    "ConsulRefused",
    "ConsulUnavailable",
    "Fetch",
    "KVEntry",
    "KVStore",
    "PrefixListener",
    "PrefixWatch",
    "SessionInfo",
    "SessionsAPI",
    "TokenBucket",
    "follow",
    "jittered_wait",
]
