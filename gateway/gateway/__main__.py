"""``python -m gateway``: run the gateway (configured from the environment)."""

from __future__ import annotations

from servicekit import run_service

from .app import create_app
from .settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    # uvloop + httptools: the fastest uvicorn stack for a proxy (measured in bench/gateway).
    run_service(
        create_app(settings),
        settings,
        loop="uvloop",
        http="httptools",
        proxy_headers=settings.trust_forwarded_headers,
    )


if __name__ == "__main__":
    main()
