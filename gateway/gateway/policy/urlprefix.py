"""Fabio's route tag, the subset we support: ``urlprefix-[host]/path [strip=/prefix]``, plus
limits of that route alone: ``rate=10/s burst=20 max_in_flight=5`` (as in service policies).

``urlprefix-/api`` routes every host's ``/api`` and ``/api/...`` to the service;
``urlprefix-example.com/api`` only requests whose Host is ``example.com``; ``strip=/api``
removes that prefix from the path sent upstream. Unlike Fabio, a prefix matches whole path
segments (``/api`` does not match ``/apiary``). Other Fabio options (``proto=``, ``redirect=``,
TCP routes, globs) are refused, so a route never silently behaves differently than declared.
A route's limits apply to the requests it matches, before (and besides) its service's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .service_policy import RateLimit, parse_policy

__all__ = ["TAG_PREFIX", "RouteDecl", "normalize_prefix", "parse_urlprefix"]

TAG_PREFIX = "urlprefix-"

_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_PATH = re.compile(r"^/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*$")
MAX_TAG = 512
_LIMIT_OPTIONS = frozenset({"rate", "burst", "max_in_flight"})


@dataclass(frozen=True, slots=True)
class RouteDecl:
    """One declared route: ``host`` ('' = any host), ``prefix`` (normalized), ``strip`` ('' = none)."""

    host: str
    prefix: str
    strip: str
    tag: str
    rate: RateLimit | None = None
    max_in_flight: int | None = None

    @property
    def key(self) -> str:
        return f"{self.host}{self.prefix}"


def normalize_prefix(path: str) -> str:
    """``/api/`` → ``/api``; ``/`` stays ``/``."""
    return path.rstrip("/") or "/"


def _valid_path(path: str) -> str | None:
    if not _PATH.match(path):
        return "must start with '/' and contain only URL path characters (no spaces, '?' or '#')"
    if "//" in path or any(seg in (".", "..") for seg in path.split("/")):
        return "must not contain empty, '.' or '..' segments"
    return None


def parse_urlprefix(tag: str) -> RouteDecl | str | None:
    """``None`` if ``tag`` is not a route tag, a ``RouteDecl``, or an error message."""
    if not tag.startswith(TAG_PREFIX):
        return None
    if len(tag) > MAX_TAG:
        return f"longer than {MAX_TAG} characters"
    words = tag[len(TAG_PREFIX) :].split()
    spec, opts = (words[0], words[1:]) if words else ("", [])
    slash = spec.find("/")
    if slash < 0:
        return "expected urlprefix-[host]/path (TCP routes and globs are not supported)"
    host, path = spec[:slash].lower(), spec[slash:]
    if host and not _HOST.match(host):
        return f"host {host!r} is not a plain host name (ports and globs are not supported)"
    problem = _valid_path(path)
    if problem:
        return f"path {path!r} {problem}"
    strip = ""
    limits: dict[str, str] = {}
    for opt in opts:
        name, eq, value = opt.partition("=")
        if name in _LIMIT_OPTIONS and eq:
            limits[name] = value
            continue
        if name != "strip" or not eq:
            return f"option {opt!r} is not supported (only strip=, rate=, burst=, max_in_flight=)"
        problem = _valid_path(value)
        if problem:
            return f"strip {value!r} {problem}"
        strip = normalize_prefix(value)
        if strip == "/":
            strip = ""
        elif not (path == strip or path.startswith(strip + "/")):
            return f"strip {value!r} is not a prefix of the route's path {path!r}"
    policy, errors = parse_policy("", {k: ("tag", v) for k, v in limits.items()})
    if errors:
        return "; ".join(f"{e.key}: {e.message}" for e in errors)
    return RouteDecl(
        host=host,
        prefix=normalize_prefix(path),
        strip=strip,
        tag=tag,
        rate=policy.rate,
        max_in_flight=policy.max_in_flight,
    )
