"""Bearer-token guard for management routes (launch, remove, scale, flow changes).

Without a configured token (``GATEWAY_MANAGEMENT_TOKEN``) every guarded route answers
403 and says how to enable it: management stays off rather than open by default.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "IntrospectionAuth",
    "ManagementAuth",
    "ManagementSettings",
    "require_introspection_token",
    "require_management_token",
]

_bearer = HTTPBearer(auto_error=False, description="GATEWAY_MANAGEMENT_TOKEN")


class ManagementSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    gateway_management_token: SecretStr | None = Field(
        default=None, description="bearer token required by management routes; unset disables them"
    )
    gateway_protect_introspection: bool = Field(
        default=False,
        description="also require the token for introspection routes (/api/routes, /api/flows, "
        "/api/models/instances/...)",
    )


def _settings(request: Request) -> ManagementSettings:
    settings: ManagementSettings | None = getattr(request.app.state, "management", None)
    if settings is None:
        settings = ManagementSettings()
        request.app.state.management = settings
    return settings


def _configured_token(request: Request) -> str | None:
    token = _settings(request).gateway_management_token
    return token.get_secret_value() if token else None


def require_management_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """FastAPI dependency: 403 when management is disabled, 401 on a missing or wrong token."""
    expected = _configured_token(request)
    if not expected:
        raise HTTPException(
            status_code=403,
            detail="management routes are disabled: set GATEWAY_MANAGEMENT_TOKEN and send "
            "'Authorization: Bearer <token>'",
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status_code=401, detail="missing bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(
            status_code=401, detail="invalid bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


def require_introspection_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """FastAPI dependency: open unless ``GATEWAY_PROTECT_INTROSPECTION``; then as management."""
    if _settings(request).gateway_protect_introspection:
        require_management_token(request, credentials)


ManagementAuth = Depends(require_management_token)
IntrospectionAuth = Depends(require_introspection_token)
