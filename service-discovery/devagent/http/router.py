"""Go ServeMux-like routing: exact paths and subtree prefixes (longest wins), per-endpoint methods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .request import Request
from .response import Response

__all__ = ["Handler", "Route", "Router"]

Handler = Callable[[Request, str], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    pattern: str
    methods: tuple[str, ...]
    handler: Handler


class Router:
    def __init__(self) -> None:
        self._exact: dict[str, Route] = {}
        self._prefixes: list[Route] = []

    def add(self, pattern: str, methods: tuple[str, ...], handler: Handler) -> None:
        route = Route(pattern, methods, handler)
        if pattern.endswith("/") and pattern != "/":
            self._prefixes.append(route)
            self._prefixes.sort(key=lambda r: len(r.pattern), reverse=True)
        else:
            self._exact[pattern] = route

    def match(self, path: str) -> tuple[Route, str] | None:
        """The route and the path remainder after a prefix pattern ("" for exact routes)."""
        route = self._exact.get(path)
        if route is not None:
            return route, ""
        for route in self._prefixes:
            if path.startswith(route.pattern):
                return route, path[len(route.pattern) :]
        return None
