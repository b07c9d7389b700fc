"""The documented face of ``/svc/{service}/{path}``.

Requests to ``/svc/...`` are answered by ``ProxyMiddleware`` before FastAPI routes them; this
route documents them in ``/docs`` and, if FastAPI ever does reach it (e.g. the app is mounted
without the middleware), serves them through the same handler.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.types import Receive, Scope, Send

from ..proxy.handler import proxy_request
from .deps import CoreDep
from .errors import UPSTREAM_ERRORS

__all__ = ["router"]

router = APIRouter(tags=["proxy"])


class _Proxied(Response):
    def __init__(self, request: Request, core: object) -> None:
        super().__init__()
        self._request = request
        self._core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await proxy_request(self._core, self._request.scope, self._request.receive, send)  # type: ignore[arg-type]


async def proxy(service: str, path: str, request: Request, core: CoreDep) -> Response:
    return _Proxied(request, core)


# One route per method: FastAPI derives a multi-method route's operation ids from one method,
# which would give every method of /docs the same id.
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
    router.add_api_route(
        "/svc/{service}/{path:path}",
        proxy,
        methods=[_method],
        name=f"proxy_{_method.lower()}",
        summary="Proxy any request to a healthy instance of a registered service",
        description="Method, path, query string, headers and body are forwarded (streamed); hop-by-hop "
        "headers are removed, X-Forwarded-For/Proto/Host and X-Request-ID added. Upstream 4xx/5xx are "
        "returned unchanged; 503 = no healthy instance, 502 = unreachable after retries, 504 = timeout.",
        responses=UPSTREAM_ERRORS,
        response_class=Response,
    )
