"""Helpers shared by endpoint modules."""

from __future__ import annotations

from ...errors import ApiError
from ..query import parse_bool
from ..request import Request

__all__ = ["enable_param", "node_meta", "node_meta_ok", "passing_param", "require"]


def require(value: str, message: str) -> str:
    if not value:
        raise ApiError(400, message)
    return value


def enable_param(req: Request) -> bool:
    if not req.has("enable"):
        raise ApiError(400, "Missing value for enable")
    raw = req.get("enable")
    value = parse_bool(raw)
    if value is None:
        raise ApiError(400, f'Invalid value for enable: "{raw}"')
    return value


def passing_param(req: Request) -> bool:
    if not req.has("passing"):
        return False
    raw = req.get("passing")
    if raw == "":
        return True
    value = parse_bool(raw)
    if value is None:
        raise ApiError(400, "Invalid value for ?passing")
    return value


def node_meta(req: Request) -> tuple[tuple[str, str], ...]:
    """``node-meta=key:value`` (repeatable) as sorted pairs."""
    pairs = []
    for item in req.query.get("node-meta", []):
        key, _, value = item.partition(":")
        pairs.append((key, value))
    return tuple(sorted(pairs))


def node_meta_ok(req: Request, meta: dict[str, str]) -> bool:
    """A node must match every ``node-meta`` filter."""
    return all(meta.get(k) == v for k, v in node_meta(req))
