"""``python -m gateway``: run the gateway (configured from the environment)."""

from __future__ import annotations

from servicekit import run_service

from .app import create_app
from .fast_path import GatewayASGI
from .server import CoalescingHttpToolsProtocol
from .settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    # uvloop + httptools: the fastest uvicorn stack for a proxy (measured in bench/gateway).
    run_service(
        GatewayASGI(create_app(settings)),  # type: ignore[arg-type]  # an ASGI app; uvicorn takes any
        settings,
        loop="uvloop",
        http=CoalescingHttpToolsProtocol,  # httptools, one write per response (see server.py)
        proxy_headers=settings.trust_forwarded_headers,
        server_header=False,  # upstream Server headers pass through; no second "server: uvicorn"
    )


if __name__ == "__main__":
    main()
