"""What services and operators declare: routes, version splits, limits, timeouts, retry rules.

Parsed and validated when the routing view is built (never per request). A bad declaration
becomes a ``PolicyError`` (logged once, listed under ``/api/routes`` ``errors``) and is ignored;
it never breaks the table.
"""

from __future__ import annotations

from .errors import PolicyError
from .kv_policies import POLICIES_DIR, parse_kv_policies
from .service_policy import POLICY_KEYS, RateLimit, ServicePolicy, Stickiness, parse_policy
from .urlprefix import RouteDecl, parse_urlprefix

__all__ = [
    "POLICIES_DIR",
    "POLICY_KEYS",
    "PolicyError",
    "RateLimit",
    "RouteDecl",
    "ServicePolicy",
    "Stickiness",
    "parse_kv_policies",
    "parse_policy",
    "parse_urlprefix",
]
