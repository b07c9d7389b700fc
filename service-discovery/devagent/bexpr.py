"""Placeholder, replaced below."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ApiError

__all__ = ["compile_filter"]


def compile_filter(expr: str) -> Callable[[Any], bool]:
    raise ApiError(
        400, "Failed to create boolean expression evaluator: filter expressions are not supported yet"
    )
