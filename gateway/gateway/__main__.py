"""``python -m gateway``: run the gateway (configured from the environment)."""

from __future__ import annotations

from servicekit import run_service

from .app import create_app
from .fast_path import GatewayASGI
from .limits import HeadLimits, HopLimit
from .server import protocol_with_limits
from .settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    # uvloop + httptools: the fastest uvicorn stack for a proxy (measured in bench/gateway).
    run_service(
        # an ASGI app (uvicorn takes any); loops → 508
        HopLimit(GatewayASGI(create_app(settings)), settings.gateway_max_hops),  # type: ignore[arg-type]
        settings,
        loop="uvloop",
        # httptools, one write per response, bounded request heads (see server.py)
        http=protocol_with_limits(
            HeadLimits(
                max_request_line=settings.http_max_request_line,
                max_header_bytes=settings.http_max_header_bytes,
                max_headers=settings.http_max_headers,
                header_timeout=settings.http_header_timeout,
            )
        ),
        timeout_keep_alive=settings.http_keepalive_timeout,
        proxy_headers=settings.trust_forwarded_headers,
        server_header=False,  # upstream Server headers pass through; no second "server: uvicorn"
    )


if __name__ == "__main__":
    main()
