"""Routing: the immutable view of declared routes and traffic rules, built from discovery and
policies, plus the per-process admission limits the request path applies."""

from __future__ import annotations

from .builder import RouteTableBuilder
from .limits import Limits, Rejection, TokenBucket
from .prefix_table import PrefixTable, Route
from .route_table import RouteTable
from .service_rules import VERSION_HEADER, ServiceRules, instance_version, seed_version_choice

__all__ = [
    "VERSION_HEADER",
    "Limits",
    "PrefixTable",
    "Rejection",
    "Route",
    "RouteTable",
    "RouteTableBuilder",
    "ServiceRules",
    "TokenBucket",
    "instance_version",
    "seed_version_choice",
]
