"""Longest-prefix lookup of declared routes: a few dict lookups per request, no regex.

Prefixes are whole path segments (``/api`` matches ``/api`` and ``/api/x``, not ``/apiary``).
A lookup walks the request path up from its deepest candidate prefix, one ``rfind`` and one
dict lookup per segment; only as many segments as the deepest declared prefix are looked at,
so a path with thousands of slashes costs no more than a short one. Host-specific routes are
tried first (Host without its port, lower-case), then host-less ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["PrefixTable", "Route"]


@dataclass(frozen=True, slots=True)
class Route:
    """A declared route as served: requests under ``host`` + ``prefix`` go to ``service``."""

    host: str
    prefix: str
    service: str
    strip: str = ""
    tag: str = ""

    def upstream_path(self, path: str) -> str:
        """``path`` minus ``strip`` (always starting with '/')."""
        strip = self.strip
        if strip and path.startswith(strip):
            rest = path[len(strip) :]
            return rest if rest.startswith("/") else "/" + rest
        return path

    def to_dict(self) -> dict[str, str]:
        return {
            "host": self.host,
            "prefix": self.prefix,
            "service": self.service,
            "strip": self.strip,
            "tag": self.tag,
        }


def _depth(prefix: str) -> int:
    return 0 if prefix == "/" else prefix.count("/")


class PrefixTable:
    """Immutable after construction."""

    __slots__ = ("_any", "_any_depth", "_hosts", "_host_depth", "routes")

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        any_host: dict[str, Route] = {}
        hosts: dict[str, dict[str, Route]] = {}
        for route in routes:
            (hosts.setdefault(route.host, {}) if route.host else any_host)[route.prefix] = route
        self.routes: tuple[Route, ...] = tuple(
            sorted(
                [*any_host.values(), *(r for t in hosts.values() for r in t.values())],
                key=lambda r: (r.host, r.prefix),
            )
        )
        self._any: Mapping[str, Route] = MappingProxyType(any_host)
        self._any_depth = max((_depth(p) for p in any_host), default=0)
        self._hosts: Mapping[str, Mapping[str, Route]] = MappingProxyType(hosts)
        self._host_depth = {h: max(_depth(p) for p in t) for h, t in hosts.items()}

    @property
    def has_hosts(self) -> bool:
        """True when some route names a host (then the Host header is worth reading)."""
        return bool(self._hosts)

    def __len__(self) -> int:
        return len(self.routes)

    def __bool__(self) -> bool:
        return bool(self.routes)

    def lookup(self, path: str, host: str = "") -> Route | None:
        """The route with the longest prefix matching ``path`` (for ``host``), or None."""
        if self._hosts and host:
            name = host.partition(":")[0].lower() if ":" in host or not host.islower() else host
            table = self._hosts.get(name)
            if table is not None:
                found = _longest(table, path, self._host_depth[name])
                if found is not None:
                    return found
        return _longest(self._any, path, self._any_depth) if self._any else None


def _longest(routes: Mapping[str, Route], path: str, depth: int) -> Route | None:
    if path.count("/") > depth:
        # Keep the first ``depth`` segments: nothing deeper can match (paths start with '/').
        if depth == 0:
            return routes.get("/")
        cut = 0
        for _ in range(depth):
            cut = path.find("/", cut + 1)
        path = path[:cut]
    elif len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    while True:
        found = routes.get(path)
        if found is not None:
            return found
        cut = path.rfind("/")
        if cut <= 0:
            break
        path = path[:cut]
    return routes.get("/")
