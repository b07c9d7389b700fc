"""HTTP routes of the gateway (one module per resource; extensions add their own modules)."""

from __future__ import annotations

from .deps import CoreDep, get_core

__all__ = ["CoreDep", "get_core"]
