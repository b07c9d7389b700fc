"""The error responses documented on gateway routes."""

from __future__ import annotations

from typing import Any

from .schemas import ErrorBody

__all__ = ["UPSTREAM_ERRORS"]

UPSTREAM_ERRORS: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "no instance reachable after retries"},
    503: {"model": ErrorBody, "description": "no healthy instance of the service"},
    504: {"model": ErrorBody, "description": "the instance did not answer in time"},
}
