"""422 bodies that always render, even when the rejected input was NaN or infinity.

Installed on every service by ``create_service_app`` (and on the gateway).

FastAPI's default handler echoes the offending ``input`` in ``detail``; a NaN input (JSON
``NaN`` is accepted by Python's parser) then makes the JSON encoder raise, and the client
gets a 500 instead of the 422. Non-finite numbers are echoed as strings here instead.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["install_validation_handler", "json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its string form (``"nan"``, ``"inf"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": json_safe(jsonable_encoder(exc.errors()))}, status_code=422)


def install_validation_handler(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
