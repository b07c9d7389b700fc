"""echo_service: returns the JSON it receives."""

from __future__ import annotations

from .app import create_app
from .settings import EchoSettings

__all__ = ["EchoSettings", "create_app"]
