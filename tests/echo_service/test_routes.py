"""echo_service routes: JSON in, the same JSON out; bad JSON → 400."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from echo_service import EchoSettings, create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(EchoSettings(service_register=False))) as client:
        yield client


@pytest.mark.parametrize(
    "document",
    [{"message": "Hello World"}, [1, 2, {"a": None}], "text", 3.5, {"nested": {"ü": ["x"] * 3}}],
)
def test_echo_returns_what_it_received(client: TestClient, document: object) -> None:
    resp = client.post("/echo", json=document)
    assert resp.status_code == 200
    assert resp.json() == document


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"a": 1'])
def test_invalid_json_is_400(client: TestClient, body: bytes) -> None:
    resp = client.post("/echo", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "Invalid JSON"}


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/v1/health_check").json()["Service Title"] == "echo-service"


def test_echo_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/echo" in paths and "/health" in paths


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"a": NaN}', "NaN"),
        (b"[Infinity]", "Infinity"),
        (b"[" * 5000 + b"]" * 5000, "nested deeper"),
        (b'{"a":' * 100_000, "nested deeper"),
    ],
)
def test_odd_or_deep_json_is_400_with_reason(client: TestClient, body: bytes, reason: str) -> None:
    resp = client.post("/echo", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert reason in resp.json()["detail"]


def test_strings_that_look_like_brackets_or_nan_pass(client: TestClient) -> None:
    document = {"s": '[[[[{{{{ NaN Infinity \\" ]]]', "deep": [[[[1]]]]}
    assert client.post("/echo", json=document).json() == document
