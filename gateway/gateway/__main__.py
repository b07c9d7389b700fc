"""``python -m gateway``: run the gateway (configured from the environment)."""

from __future__ import annotations

from servicekit import configure_logging, run_service

from .app import create_app
from .fast_path import GatewayASGI
from .limits import HeadLimits, HopLimit
from .server import protocol_with_limits
from .settings import GatewaySettings
from .workers import WorkerSettings, reuse_port_socket, supervise, worker_index


def main() -> None:
    settings = GatewaySettings()
    workers = WorkerSettings()
    if workers.count > 1 and worker_index() is None:
        # GATEWAY_WORKERS > 1: this process only supervises; each worker runs this main again.
        configure_logging(settings.log_level, settings.log_format, settings.service_name)
        raise SystemExit(supervise(workers.count, workers.gateway_worker_restart_max))
    # A supervised worker binds its own SO_REUSEPORT socket on the shared port.
    sockets = (
        [reuse_port_socket(settings.service_host, settings.service_port)]
        if worker_index() is not None
        else None
    )
    # uvloop + httptools: the fastest uvicorn stack for a proxy (measured in bench/gateway).
    gateway = GatewayASGI(create_app(settings))
    # Proxied requests straight from the server (server.DirectApp); not with forwarded headers
    # trusted: uvicorn's ProxyHeadersMiddleware must see every request then.
    direct = gateway if settings.gateway_direct_proxy and not settings.trust_forwarded_headers else None
    run_service(
        # an ASGI app (uvicorn takes any); loops → 508
        HopLimit(gateway, settings.gateway_max_hops),  # type: ignore[arg-type]
        settings,
        loop="uvloop",
        # httptools, one write per response, bounded request heads (see server.py)
        http=protocol_with_limits(
            HeadLimits(
                max_request_line=settings.http_max_request_line,
                max_header_bytes=settings.http_max_header_bytes,
                max_headers=settings.http_max_headers,
                header_timeout=settings.http_header_timeout,
            ),
            direct,
        ),
        timeout_keep_alive=settings.http_keepalive_timeout,
        proxy_headers=settings.trust_forwarded_headers,
        server_header=False,  # upstream Server headers pass through; no second "server: uvicorn"
        sockets=sockets,
    )


if __name__ == "__main__":
    main()
