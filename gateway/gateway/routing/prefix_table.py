"""Longest-prefix lookup of declared routes: a few dict lookups per request, no regex.

Prefixes are whole path segments (``/api`` matches ``/api`` and ``/api/x``, not ``/apiary``).
A lookup walks the request path down from its first segment, one ``find`` and one dict lookup
per segment, and stops at the first prefix under which nothing is declared: a miss usually
costs one lookup, and a path with thousands of slashes no more than the declared depth.
Host-specific routes are tried first (Host without its port, lower-case), then host-less ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..policy import RateLimit

__all__ = ["PrefixTable", "Route"]


@dataclass(frozen=True, slots=True)
class Route:
    """A declared route as served: requests under ``host`` + ``prefix`` go to ``service``."""

    host: str
    prefix: str
    service: str
    strip: str = ""
    tag: str = ""
    rate: RateLimit | None = None
    max_in_flight: int | None = None

    @property
    def limit_key(self) -> str:
        """The key of this route's own limits (None of them: the route is not limited)."""
        return f"route {self.host}{self.prefix}"

    @property
    def limited(self) -> bool:
        return self.rate is not None or self.max_in_flight is not None

    def upstream_path(self, path: str) -> str:
        """``path`` minus ``strip`` (always starting with '/')."""
        strip = self.strip
        if strip and path.startswith(strip):
            rest = path[len(strip) :]
            return rest if rest.startswith("/") else "/" + rest
        return path

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "prefix": self.prefix,
            "service": self.service,
            "strip": self.strip,
            "tag": self.tag,
            "rate": self.rate.rate if self.rate else None,
            "burst": self.rate.burst if self.rate else None,
            "max_in_flight": self.max_in_flight,
        }


# A node per declared prefix and per ancestor of one: (route or None, has deeper prefixes).
_Node = tuple["Route | None", bool]


def _nodes(routes: dict[str, Route]) -> dict[str, _Node]:
    children: set[str] = set()
    for prefix in routes:
        while True:
            cut = prefix.rfind("/")
            if cut <= 0:
                break
            prefix = prefix[:cut]
            children.add(prefix)
    out: dict[str, _Node] = {p: (r, p in children) for p, r in routes.items() if p != "/"}
    for prefix in children:
        if prefix not in out:
            out[prefix] = (None, True)
    return out


def _walk(nodes: Mapping[str, _Node], root: Route | None, path: str) -> Route | None:
    """Longest declared prefix of ``path``: walk its segments from the first, stop at the
    first prefix nothing was declared under (misses usually stop at the first segment)."""
    best = root
    start = 1
    while True:
        end = path.find("/", start)
        node = nodes.get(path if end < 0 else path[:end])
        if node is None:
            return best
        if node[0] is not None:
            best = node[0]
        if end < 0 or not node[1]:
            return best
        start = end + 1


class PrefixTable:
    """Immutable after construction."""

    __slots__ = ("_any", "_any_root", "_hosts", "has_hosts", "has_root", "routes")

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
        self._any: Mapping[str, _Node] = _nodes(any_host)
        self._any_root = any_host.get("/")
        self._hosts: Mapping[str, tuple[Mapping[str, _Node], Route | None]] = {
            h: (_nodes(t), t.get("/")) for h, t in hosts.items()
        }
        # True when some route names a host (only then is the Host header worth reading).
        self.has_hosts = bool(hosts)
        # Only a root route ("/") can match a path under the gateway's own first segments.
        self.has_root = "/" in any_host or any("/" in t for t in hosts.values())

    def __len__(self) -> int:
        return len(self.routes)

    def __bool__(self) -> bool:
        return bool(self.routes)

    def lookup(self, path: str, host: str = "") -> Route | None:
        """The route with the longest prefix matching ``path`` (for ``host``), or None."""
        if host and self.has_hosts:
            table = self._hosts.get(host.partition(":")[0].lower())
            if table is not None:
                found = _walk(table[0], table[1], path)
                if found is not None:
                    return found
        return _walk(self._any, self._any_root, path)
