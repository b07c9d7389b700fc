"""The core's HTTP routes (one module per resource); features keep theirs in their own package."""

from __future__ import annotations

from .deps import CoreDep, get_core

__all__ = ["CoreDep", "get_core"]
