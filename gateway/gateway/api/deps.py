"""FastAPI dependencies shared by gateway routes and extensions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ..core import GatewayCore

__all__ = ["CoreDep", "get_core"]


def get_core(request: Request) -> GatewayCore:
    """The app's ``GatewayCore`` (503 while the app is still starting)."""
    core: GatewayCore | None = getattr(request.app.state, "core", None)
    if core is None:
        raise HTTPException(status_code=503, detail="gateway is starting")
    return core


CoreDep = Annotated[GatewayCore, Depends(get_core)]
