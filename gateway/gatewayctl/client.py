"""The HTTP side of gatewayctl: one call, one answer or one ``CtlError`` with an exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["EXIT", "CtlError", "GatewayClient"]

#: Exit codes scripts can rely on (also in gateway/README.md).
EXIT = {
    "ok": 0,
    "error": 1,  # the gateway answered an error (4xx/5xx other than auth)
    "usage": 2,  # bad arguments (typer's own code for usage errors)
    "unreachable": 3,  # no answer from the gateway (connection refused, timeout)
    "auth": 4,  # no token, or the gateway refused it (401/403)
    "not_found": 5,  # 404: unknown model, flow or instance
    "incomplete": 6,  # scale: the wanted replicas were not all passing in time
}


@dataclass
class CtlError(Exception):
    """What went wrong, in one line, and the exit code it maps to."""

    message: str
    code: int = EXIT["error"]

    def __str__(self) -> str:
        return self.message


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text.strip().splitlines()[0] if resp.text.strip() else resp.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        if isinstance(detail, list):  # FastAPI's 422: name the fields
            return "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
                for d in detail
                if isinstance(d, dict)
            )
        return str(detail)
    return str(body)


class GatewayClient:
    """A thin synchronous client for the gateway's API; the token goes only to the gateway."""

    def __init__(self, url: str, token: str | None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token or None
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def require_token(self) -> None:
        """Fail (exit 4) before anything is sent or shown when a command needs the token."""
        if not self.token:
            raise CtlError(
                "this command needs the management token: set GATEWAY_MANAGEMENT_TOKEN", EXIT["auth"]
            )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        auth: bool = False,
        timeout: float | None = None,
        allow_404: bool = False,
    ) -> Any:
        headers = {}
        if auth:
            self.require_token()
        if self.token:
            # Introspection routes may require the token too (GATEWAY_PROTECT_INTROSPECTION).
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self._http.request(
                method,
                path,
                json=json,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            raise CtlError(
                f"{method} {self.url}{path}: no answer in time ({exc})", EXIT["unreachable"]
            ) from exc
        except httpx.TransportError as exc:
            raise CtlError(f"cannot reach the gateway at {self.url}: {exc}", EXIT["unreachable"]) from exc
        if resp.status_code == 404 and allow_404:
            return None
        if resp.status_code in (401, 403):
            raise CtlError(f"{resp.status_code}: {_detail(resp)}", EXIT["auth"])
        if resp.status_code == 404:
            raise CtlError(f"404: {_detail(resp)}", EXIT["not_found"])
        if resp.status_code >= 400:
            raise CtlError(f"{resp.status_code}: {_detail(resp)}", EXIT["error"])
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            return resp.text
