"""The one route serving flow endpoints (``FlowEndpoints``) and the conflict check of PUT (unit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateway.orchestrator.dispatch import FLOW_ROUTE, FlowEndpoints
from gateway.orchestrator.loader import build_flow
from gateway.orchestrator.registry import FlowRegistry
from gateway.orchestrator.routes import build_router
from gateway.orchestrator.settings import FlowSettings
from gateway.orchestrator.shared_store import SharedFlowStore
from gateway.security import ManagementSettings

from .fakes import FakeCaller, echo

AUTH = {"Authorization": "Bearer t"}


def flow(name: str, endpoint: str) -> dict[str, object]:
    return {
        "name": name,
        "endpoint": endpoint,
        "nodes": {"e": {"service": "echo-service", "endpoint": "/echo"}},
    }


@pytest.fixture
def client() -> Iterator[tuple[TestClient, FlowRegistry]]:
    registry = FlowRegistry()
    store = SharedFlowStore(registry, [], default_timeout=30.0)  # not started: local writes
    registry.put(build_flow(flow("one", "/one"), source="test", default_name="one"))
    registry.bind_all(FakeCaller({"echo-service": echo()}), None)
    other = APIRouter()

    @other.post("/taken")
    async def taken() -> dict[str, str]:
        return {"route": "other"}

    app = FastAPI()
    app.state.management = ManagementSettings(gateway_management_token=SecretStr("t"))
    app.include_router(build_router(registry, FlowSettings(), store))
    app.include_router(other)
    app.router.routes.append(FlowEndpoints(registry))
    with TestClient(app) as c:
        yield c, registry


def test_a_flow_endpoint_is_served_from_the_registry(client: tuple[TestClient, FlowRegistry]) -> None:
    c, _ = client
    assert c.post("/one", json={"a": 1}).json() == {"a": 1}
    assert c.get("/one").status_code == 405
    assert c.post("/two", json={}).status_code == 404
    assert c.get("/nowhere").status_code == 404  # no flow there: the dispatch route does not match


def test_a_flow_endpoint_has_one_route_label(client: tuple[TestClient, FlowRegistry]) -> None:
    """Metrics and statistics label it ``{flow endpoint}``, not ``unmatched``."""
    _, registry = client
    route = FlowEndpoints(registry)
    scope = {"type": "http", "path": "/one", "method": "POST"}
    assert route.matches(scope)[1] == {"gateway.route": FLOW_ROUTE}
    assert route.matches({**scope, "path": "/nowhere"})[1] == {}


def test_flows_added_and_removed_at_run_time_without_touching_the_router(
    client: tuple[TestClient, FlowRegistry],
) -> None:
    c, registry = client
    routes_before = list(c.app.router.routes)  # type: ignore[attr-defined]
    assert c.put("/api/flows/two", json=flow("two", "/two"), headers=AUTH).status_code == 201
    assert c.post("/two", json={"b": 2}).json() == {"b": 2}
    assert c.delete("/api/flows/two", headers=AUTH).status_code == 204
    assert c.post("/two", json={}).status_code == 404
    assert list(c.app.router.routes) == routes_before  # type: ignore[attr-defined]
    assert registry.get("two") is None


def test_a_flow_cannot_shadow_another_route(client: tuple[TestClient, FlowRegistry]) -> None:
    c, _ = client
    r = c.put("/api/flows/bad", json=flow("bad", "/taken"), headers=AUTH)
    assert r.status_code == 409 and "already a gateway route" in r.json()["detail"]
    assert c.post("/taken", json={}).json() == {"route": "other"}
