"""Common query options (dc, consistency, index/wait) and the catalog response headers (§0.4, §0.5, §6.1)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from servicekit.durations import DurationError, parse_duration

from ..config import AgentConfig
from ..errors import ApiError
from .request import Request

__all__ = ["QueryOptions", "meta_headers", "parse_bool", "parse_query"]

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool; None when invalid."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


@dataclass
class QueryOptions:
    index: int = 0
    wait: float = 0.0  # seconds, jitter included
    consistency: str = "leader"


def check_dc(req: Request, config: AgentConfig) -> None:
    dc = req.get("dc")
    if dc and dc != config.datacenter:
        raise ApiError(500, "No path to datacenter")


def parse_query(req: Request, config: AgentConfig) -> QueryOptions:
    check_dc(req, config)
    opts = QueryOptions()
    stale, consistent = req.has("stale"), req.has("consistent")
    if stale and consistent:
        raise ApiError(400, "Cannot specify ?stale with ?consistent, conflicting semantics.")
    opts.consistency = "stale" if stale else "consistent" if consistent else "leader"
    wait_text = req.get("wait")
    if wait_text:
        try:
            wait_ns = parse_duration(wait_text)
        except DurationError:
            raise ApiError(400, "Invalid wait time") from None
        wait = wait_ns / 1e9
    else:
        wait = 0.0
    index_text = req.get("index")
    if index_text:
        if not index_text.isdigit():
            raise ApiError(400, "Invalid index")
        opts.index = int(index_text)
    if opts.index:
        if wait <= 0:
            wait = config.default_query_time
        wait = min(wait, config.max_query_time)
        opts.wait = wait + random.random() * wait / 16
    return opts


DEFAULT_ACL_POLICY = {"value": "allow"}  # set by the app: "deny" when ACLs are on with default-deny


def meta_headers(index: int, opts: QueryOptions) -> dict[str, str]:
    return {
        "X-Consul-Default-Acl-Policy": DEFAULT_ACL_POLICY["value"],
        "X-Consul-Effective-Consistency": opts.consistency,
        "X-Consul-Index": str(max(index, 1)),
        "X-Consul-Knownleader": "true",
        "X-Consul-Lastcontact": "0",
        "X-Consul-Query-Backend": "blocking-query",
    }
