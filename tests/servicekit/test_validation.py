"""servicekit.validation: a 422 that renders even when the rejected input is NaN or infinite."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from servicekit import ServiceSettings, create_service_app, json_safe


class Body(BaseModel):
    x: float = Field(allow_inf_nan=False)


def _client() -> TestClient:
    from fastapi import APIRouter

    router = APIRouter()

    @router.post("/t")
    async def t(body: Body) -> dict[str, float]:
        return {"x": body.x}

    return TestClient(
        create_service_app(
            ServiceSettings(service_register=False), title="t", description="t", routers=[router]
        )
    )


def test_nan_input_is_a_422_naming_the_field_not_a_500() -> None:
    resp = _client().post("/t", content=b'{"x": NaN}', headers={"content-type": "application/json"})
    assert resp.status_code == 422
    [error] = resp.json()["detail"]
    assert error["loc"] == ["body", "x"] and error["input"] == "nan"


def test_json_safe_nested() -> None:
    assert json_safe({"a": [float("inf"), 1.0, {"b": float("-inf")}]}) == {"a": ["inf", 1.0, {"b": "-inf"}]}
