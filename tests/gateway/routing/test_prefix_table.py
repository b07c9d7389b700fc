from __future__ import annotations

import pytest

from gateway.routing import PrefixTable, Route

TABLE = PrefixTable(
    [
        Route("", "/api", "api"),
        Route("", "/api/v2", "api-v2"),
        Route("", "/", "root"),
        Route("example.com", "/api", "host-api"),
    ]
)


@pytest.mark.parametrize(
    ("path", "host", "service"),
    [
        ("/api", "", "api"),
        ("/api/", "", "api"),
        ("/api/users/1", "", "api"),
        ("/apiary", "", "root"),  # whole segments only
        ("/api/v2", "", "api-v2"),
        ("/api/v2/x/y", "", "api-v2"),
        ("/api/v3", "", "api"),
        ("/other", "", "root"),
        ("/api/x", "example.com", "host-api"),
        ("/api/v2/x", "EXAMPLE.com:8000", "host-api"),  # host routes first, port ignored
        ("/other", "example.com", "root"),  # falls back to host-less routes
        ("/api/x", "other.org", "api"),
    ],
)
def test_longest_prefix(path: str, host: str, service: str) -> None:
    found = TABLE.lookup(path, host)
    assert found is not None and found.service == service


def test_no_match_without_root() -> None:
    table = PrefixTable([Route("", "/a/b", "ab")])
    assert table.lookup("/a") is None
    assert table.lookup("/a/bc") is None
    assert table.lookup("/" + "x/" * 10_000) is None  # deep paths cost the declared depth only
    assert table.lookup("/a/b" + "/x" * 10_000).service == "ab"  # type: ignore[union-attr]
    assert not PrefixTable() and PrefixTable().lookup("/a") is None


def test_strip() -> None:
    route = Route("", "/echo/v1", "echo", strip="/echo")
    assert route.upstream_path("/echo/v1/echo") == "/v1/echo"
    assert Route("", "/echo", "echo", strip="/echo").upstream_path("/echo") == "/"
    assert Route("", "/echo", "echo").upstream_path("/echo/x") == "/echo/x"


def test_walk_stops_at_undeclared_segments() -> None:
    table = PrefixTable([Route("", "/a/b/c", "abc"), Route("", "/a", "a")])
    assert table.lookup("/a/b").service == "a"  # type: ignore[union-attr]  # /a/b is only an ancestor
    assert table.lookup("/a/b/c/d").service == "abc"  # type: ignore[union-attr]
    assert table.lookup("/a//b/c").service == "a"  # type: ignore[union-attr]
    assert table.lookup("/b") is None and not table.has_root
    assert PrefixTable([Route("h.example", "/", "r")]).has_root
