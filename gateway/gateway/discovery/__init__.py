"""Discovery: a cache of Consul's passing instances, kept fresh by blocking-query watchers."""

from __future__ import annotations

from .consul_reader import ConsulReader
from .discovery import Discovery, TableListener
from .errors import ConsulUnavailable, DiscoveryError
from .instance import Instance
from .ratelimit import TokenBucket
from .table import RoutingTable

__all__ = [
    "ConsulReader",
    "ConsulUnavailable",
    "Discovery",
    "DiscoveryError",
    "Instance",
    "RoutingTable",
    "TableListener",
    "TokenBucket",
]
