"""Discovery: a cache of Consul's passing instances, kept fresh by blocking-query watchers."""

from __future__ import annotations

from ..consul_client import TokenBucket
from .discovery import CatalogSource, Discovery, TableListener
from .errors import ConsulUnavailable, DiscoveryError
from .instance import Instance
from .table import RoutingTable

__all__ = [
    "CatalogSource",
    "ConsulUnavailable",
    "Discovery",
    "DiscoveryError",
    "Instance",
    "RoutingTable",
    "TableListener",
    "TokenBucket",
]
