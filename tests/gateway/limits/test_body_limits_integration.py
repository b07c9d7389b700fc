"""Buffered routes refuse big bodies (413) and deep JSON (400 with the reason)
before any route parses them (issue #10, items 3 and 9); ``/svc/...`` still streams, with its
own limit (``PROXY_BODY_MAX``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ..conftest import Stack, running_stack
from ..helpers import start_upstream

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


def test_declared_big_body_is_413(web_stack: Stack, client: httpx.Client) -> None:
    resp = client.post(f"{web_stack.url}/process", content=b"x" * (5 << 20), headers=JSON)
    assert resp.status_code == 413
    assert "larger than" in resp.json()["detail"]


def test_chunked_big_body_is_413(web_stack: Stack, client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(80):
            yield b"[" + b"1," * 32767 + b"1]"

    resp = client.post(f"{web_stack.url}/api/flows/echo/run", content=chunks(), headers=JSON)
    assert resp.status_code == 413


@pytest.mark.parametrize("path", ["/process", "/api/flows/echo/run", "/api/predict/gdp_growth_rate"])
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"messages": ' + b"[" * 500 + b"]" * 500 + b"}", "nested deeper"),
        (b'{"messages": ' + b"[" * 100_000, "nested deeper"),
    ],
)
def test_deep_or_odd_json_is_400_with_reason(
    web_stack: Stack, client: httpx.Client, path: str, body: bytes, reason: str
) -> None:
    resp = client.post(f"{web_stack.url}{path}", content=body, headers=JSON)
    assert resp.status_code == 400, resp.text
    assert reason in resp.json()["detail"]


@pytest.mark.parametrize("path", ["/process", "/api/flows/echo/run", "/api/predict/gdp_growth_rate"])
def test_nan_is_a_client_error(web_stack: Stack, client: httpx.Client, path: str) -> None:
    resp = client.post(f"{web_stack.url}{path}", content=b'{"message": NaN, "messages": NaN}', headers=JSON)
    assert 400 <= resp.status_code < 500, resp.text


def test_small_bodies_still_reach_the_route(web_stack: Stack, client: httpx.Client) -> None:
    resp = client.post(f"{web_stack.url}/api/predict/gdp_growth_rate", json={"gdp_per_capita": "x"})
    assert resp.status_code == 422  # the route's own validation ran on the replayed body


def test_proxy_streams_bodies_past_the_buffered_limit(web_stack: Stack, client: httpx.Client) -> None:
    resp = client.post(f"{web_stack.url}/svc/web/upload", content=b"z" * (6 << 20))
    assert resp.status_code == 200, resp.text


PROXY_MAX = 1_000_000


@pytest.fixture(scope="module")
def small_proxy_limit(module_consul_url: str) -> Iterator[Stack]:
    procs = {"big": [start_upstream(module_consul_url, "big", wait=False)]}
    with running_stack(module_consul_url, procs, proxy_body_max=str(PROXY_MAX)) as stack:
        yield stack


def test_proxy_declared_body_over_its_limit_is_413(small_proxy_limit: Stack, client: httpx.Client) -> None:
    resp = client.post(f"{small_proxy_limit.url}/svc/big/upload", content=b"z" * (PROXY_MAX + 1))
    assert resp.status_code == 413 and "PROXY_BODY_MAX" in resp.json()["detail"]


def test_proxy_chunked_body_over_its_limit_is_refused(small_proxy_limit: Stack, client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"z" * 65536

    resp = client.post(f"{small_proxy_limit.url}/svc/big/upload", content=chunks())
    assert resp.status_code == 413, resp.text


def test_proxy_body_under_its_limit_streams(small_proxy_limit: Stack, client: httpx.Client) -> None:
    resp = client.post(f"{small_proxy_limit.url}/svc/big/upload", content=b"z" * (PROXY_MAX - 10))
    assert resp.status_code == 200 and resp.json()["bytes"] == PROXY_MAX - 10
