"""Exposure (issue #10, item 12): introspection routes can require the token, answers carry no
file paths, and client-sent forwarding claims do not reach upstreams unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.helpers import start_gateway
from tests.support.processes import ServiceProcess

from ..conftest import Stack

TOKEN = "introspection-token"


@pytest.fixture(scope="module")
def protected(module_consul_url: str) -> Iterator[ServiceProcess]:
    gw = start_gateway(
        module_consul_url, gateway_management_token=TOKEN, gateway_protect_introspection="true"
    )
    yield gw
    gw.stop()


@pytest.mark.parametrize(
    "path", ["/api/routes", "/api/flows", "/api/flows/echo", "/api/models/instances/LinearRegression"]
)
def test_introspection_needs_the_token_when_protected(protected: ServiceProcess, path: str) -> None:
    url = f"{protected.url}{path}"  # type: ignore[attr-defined]
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
    ok = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert ok.status_code not in (401, 403), ok.text


def test_health_and_metrics_stay_open_when_protected(protected: ServiceProcess) -> None:
    for path in ("/health", "/metrics"):
        assert httpx.get(f"{protected.url}{path}", timeout=10).status_code == 200  # type: ignore[attr-defined]


def test_introspection_open_by_default(web_stack: Stack, http: httpx.Client) -> None:
    assert http.get(f"{web_stack.url}/api/routes").status_code == 200


def test_flows_show_no_file_paths(web_stack: Stack, http: httpx.Client) -> None:
    listing = http.get(f"{web_stack.url}/api/flows").json()
    sources = [f["source"] for f in listing["flows"]]
    assert "file:echo.yaml" in sources
    assert not any("/" in s for s in sources), sources
    detail = http.get(f"{web_stack.url}/api/flows/echo").text
    assert "/gateway/flows" not in detail and "/work/" not in detail


def test_client_forwarding_claims_are_stripped_or_overwritten(web_stack: Stack, http: httpx.Client) -> None:
    resp = http.get(
        f"{web_stack.url}/svc/web/headers/x",
        headers={"Forwarded": "for=10.9.9.9;proto=https", "X-Real-IP": "10.9.9.9"},
    )
    seen = resp.json()["headers"]
    assert "forwarded" not in seen
    assert seen["x-real-ip"] == "127.0.0.1"
