"""servicekit.app: /docs and /redoc load their assets from the service itself, never a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from servicekit import ServiceSettings, create_service_app
from servicekit.app import DOCS_ASSETS_PATH


@pytest.fixture
def client() -> TestClient:
    settings = ServiceSettings(service_name="svc", service_register=False)
    return TestClient(create_service_app(settings, title="svc", description="a service"))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_assets(client: TestClient, page: str) -> None:
    html = client.get(page).text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""(?:url|spec-url)\s*:\s*["']([^"']+)["']""", html)
    assert urls, html
    for url in urls:
        assert not url.startswith(("http://", "https://", "//")), f"{page} loads {url} from outside"
    assets = [u for u in urls if u.startswith(DOCS_ASSETS_PATH)]
    assert assets
    for url in assets:
        assert client.get(url).status_code == 200, url


def test_openapi_still_served(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "svc"
