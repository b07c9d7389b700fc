"""The HTTP API: a plain ASGI application (no framework, to keep per-request overhead minimal)."""

from __future__ import annotations

from .app import DevAgentApp

__all__ = ["DevAgentApp"]
