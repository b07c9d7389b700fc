"""The gateway's pages in a real browser: /docs renders offline, the dashboard's charts draw
data after traffic, and the scale control adds a replica row (process runtime, real replicas)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.processes import (
    ServiceProcess,
    dev_agent,
    free_port,
    python_module,
    replica_gateway,
    wait_until,
)

TOKEN = "browser-test-token"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    with dev_agent() as agent:
        echo_port = free_port()
        echo = ServiceProcess(
            python_module("echo_service"),
            name="echo-browser",
            env={
                "CONSUL_HTTP_ADDR": agent,
                "SERVICE_PORT": str(echo_port),
                "SERVICE_HOST": "127.0.0.1",
                "CHECK_INTERVAL": "1s",
            },
            ready_url=f"http://127.0.0.1:{echo_port}/health",
        )
        gateway = replica_gateway(
            agent, token=TOKEN, stack="browsertest", name="gateway-browser", DASHBOARD_HISTORY_INTERVAL="0.5"
        )
        url: str = gateway.url  # type: ignore[attr-defined]
        with echo, gateway:
            wait_until(
                lambda: any(
                    s["name"] == "echo-service" for s in httpx.get(f"{url}/api/routes").json()["services"]
                ),
                20,
                what="echo routed",
            )
            yield url


def test_docs_render_the_gateways_operations_offline(browser: Any, stack: str) -> None:
    page = browser.new_page()
    outside: list[str] = []
    local = (stack, "blob:", "data:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(f"{stack}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/routes" in p for p in paths) and any("/svc/" in p for p in paths), paths
    assert outside == []  # every asset came from the gateway itself
    page.goto(f"{stack}/redoc")
    page.wait_for_selector(".redoc-wrap", timeout=20_000)
    page.get_by_text("Routing table", exact=False).first.wait_for(state="attached", timeout=20_000)
    # ReDoc's bundle links its own "powered by" logo from its site; the page renders without it.
    assert [u for u in outside if "logo-mini.svg" not in u] == []
    page.close()


def test_dashboard_charts_draw_after_traffic(browser: Any, stack: str) -> None:
    with httpx.Client(timeout=10) as client:
        for i in range(40):
            assert client.post(f"{stack}/svc/echo-service/echo", json={"i": i}).status_code == 200
    page = browser.new_page()
    page.goto(f"{stack}/dashboard")
    line = page.locator('#chart-rps polyline.series[data-series="echo-service"]')
    line.wait_for(state="attached", timeout=20_000)
    points = line.get_attribute("points") or ""
    assert len(points.split()) >= 2
    # (a flat line has no height, so "attached", not "visible")
    page.locator('#chart-p99 polyline.series[data-series="echo-service"]').wait_for(
        state="attached", timeout=10_000
    )
    if os.environ.get("DASHBOARD_SCREENSHOT"):
        page.screenshot(path=os.environ["DASHBOARD_SCREENSHOT"], full_page=True)
    assert "echo-service" in page.locator("#services").inner_text()
    page.close()


def test_scale_control_adds_an_instance_row(browser: Any, stack: str) -> None:
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept(TOKEN))  # the token prompt, asked once
    page.goto(f"{stack}/dashboard")
    page.fill("#model", "LinearRegression")
    page.fill("#replicas", "1")
    assert page.locator("#replicas tr.replica").count() == 0
    page.click("#scale")
    page.locator("#replicas tr.replica").first.wait_for(timeout=90_000)
    assert "passing" in page.locator("#replicas tr.replica").first.inner_text()
    assert page.evaluate("sessionStorage.getItem('gateway-management-token')") == TOKEN
    # Remove it through its row's button: no second prompt (the token is kept for the tab).
    page.on("dialog", lambda dialog: pytest.fail("asked for the token twice"))
    page.click("#replicas button[data-remove]")
    page.wait_for_function("document.querySelectorAll('#replicas tr.replica').length === 0", timeout=60_000)
    page.close()
