from __future__ import annotations

import pytest

from gateway.policy import RouteDecl, parse_urlprefix


def test_not_a_route_tag() -> None:
    assert parse_urlprefix("lb=round_robin") is None


@pytest.mark.parametrize(
    ("tag", "host", "prefix", "strip"),
    [
        ("urlprefix-/api", "", "/api", ""),
        ("urlprefix-/api/", "", "/api", ""),
        ("urlprefix-/", "", "/", ""),
        ("urlprefix-Example.COM/api", "example.com", "/api", ""),
        ("urlprefix-/echo/v1 strip=/echo", "", "/echo/v1", "/echo"),
        ("urlprefix-/echo strip=/echo", "", "/echo", "/echo"),
    ],
)
def test_valid(tag: str, host: str, prefix: str, strip: str) -> None:
    parsed = parse_urlprefix(tag)
    assert isinstance(parsed, RouteDecl)
    assert (parsed.host, parsed.prefix, parsed.strip) == (host, prefix, strip)


@pytest.mark.parametrize(
    ("tag", "why"),
    [
        ("urlprefix-", "expected urlprefix-[host]/path"),
        ("urlprefix-:8080", "TCP routes"),
        ("urlprefix-*.example.com/x", "plain host name"),
        ("urlprefix-example.com:80/x", "plain host name"),
        ("urlprefix-/a b", "not supported"),
        ("urlprefix-/a proto=https", "not supported"),
        ("urlprefix-/a/../b", "'..'"),
        ("urlprefix-/a?x=1", "URL path characters"),
        ("urlprefix-/echo strip=/other", "not a prefix"),
        ("urlprefix-/echo strip=/ech", "not a prefix"),
    ],
)
def test_invalid(tag: str, why: str) -> None:
    parsed = parse_urlprefix(tag)
    assert isinstance(parsed, str)
    assert why in parsed


def test_route_limits() -> None:
    from gateway.policy import RateLimit

    parsed = parse_urlprefix("urlprefix-/a strip=/a rate=2/s burst=3 max_in_flight=4")
    assert isinstance(parsed, RouteDecl)
    assert (parsed.rate, parsed.max_in_flight, parsed.strip) == (RateLimit(2.0, 3), 4, "/a")
    bad = parse_urlprefix("urlprefix-/a rate=-1")
    assert isinstance(bad, str) and bad.startswith("rate: ")
