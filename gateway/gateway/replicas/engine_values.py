"""Values every runtime writes to or reads from the Docker engine the same way."""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["engine_timestamp", "model_slug"]

_SLUG = re.compile(r"[^a-z0-9]+")


def model_slug(model: str) -> str:
    """A model name as it may stand in container and service names (``randomforest``)."""
    return _SLUG.sub("-", model.lower()).strip("-")[:30]


def engine_timestamp(text: str) -> float:
    """The engine's RFC 3339 times (``2026-11-22T14:00:13.123456789Z``) as epoch seconds; 0 if odd."""
    try:  # nanoseconds trimmed to what fromisoformat takes
        base, _, frac = text.rstrip("Z").partition(".")
        return datetime.fromisoformat(f"{base}.{frac[:6] or '0'}+00:00").timestamp()
    except ValueError:
        return 0.0
