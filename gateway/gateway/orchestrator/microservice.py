"""OPEA's ``MicroService`` as a remote-only node handle.

``MicroService(name, host, port, endpoint, ...)`` keeps OPEA's constructor and its naming
rule (``name`` becomes ``"<name>/MicroService"``). Differences, deliberate:

* it never binds a port or runs a server: every node is remote. The local-server
  parameters (``ssl_*``, ``dynamic_batching*``, ``enable_mcp``, ``provider*`` ...) are
  accepted and ignored, ``use_remote_service`` is accepted either way, ``start()``/``stop()``
  only log, and ``add_route()`` records the route so ``router()`` can mount it on any
  FastAPI app (the gateway's, for instance);
* ``host``/``port`` default to ``None``: a node without them is resolved by *service name*
  (``service=``, default the short name) through discovery, with failover between
  instances; with them it is called directly;
* per-node ``timeout`` (seconds), ``retries`` (extra attempts on timeouts, connection
  failures and 5xx), ``continue_on_error`` and ``reducer`` (fan-in) are new keywords.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter

from .constants import ServiceRoleType, ServiceType
from .statistics import collect_all_statistics

__all__ = ["MicroService", "opea_microservices", "register_microservice"]

log = logging.getLogger("gateway.orchestrator")

DEFAULT_TIMEOUT = 30.0
_IGNORED = (
    "ssl_keyfile",
    "ssl_certfile",
    "provider",
    "provider_endpoint",
    "dynamic_batching",
    "dynamic_batching_timeout",
    "dynamic_batching_max_batch_size",
    "enable_mcp",
    "mcp_func_type",
    "func",
    "description",
)


class MicroService:
    def __init__(
        self,
        name: str = "",
        service_role: ServiceRoleType = ServiceRoleType.MICROSERVICE,
        service_type: ServiceType = ServiceType.LLM,
        protocol: str = "http",
        host: str | None = None,
        port: int | None = None,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        endpoint: str = "/",
        input_datatype: Any = None,
        output_datatype: Any = None,
        provider: str | None = None,
        provider_endpoint: str | None = None,
        use_remote_service: bool = False,
        description: str | None = None,
        *,
        api_key: str | None = None,
        service: str | None = None,
        timeout: float | None = None,
        retries: int = 0,
        continue_on_error: bool = False,
        reducer: Any = None,
        headers: dict[str, str] | None = None,
        **ignored: Any,
    ) -> None:
        unknown = set(ignored) - set(_IGNORED)
        if unknown:
            raise TypeError(
                f"MicroService() got unexpected keyword argument(s): {', '.join(sorted(unknown))}"
            )
        if protocol not in ("http", "https"):
            raise ValueError(f"protocol must be 'http' or 'https', got {protocol!r}")
        if port is not None and not (0 < int(port) < 65536):
            raise ValueError(f"port must be 1-65535, got {port!r}")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be > 0 seconds")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.short_name = name
        self.name = f"{name}/{self.__class__.__name__}" if name else self.__class__.__name__
        self.service_role = service_role
        self.service_type = service_type
        self.protocol = protocol
        self.host = host or None
        self.port = int(port) if port is not None else None
        self.endpoint = endpoint if endpoint.startswith("/") else f"/{endpoint}"
        self.input_datatype = input_datatype
        self.output_datatype = output_datatype
        self.use_remote_service = use_remote_service
        self.description = description
        self.api_key = api_key
        self.service = service or name
        self.timeout = timeout
        self.retries = int(retries)
        self.continue_on_error = continue_on_error
        self.reducer = reducer
        self.headers = dict(headers or {})
        self.ssl_keyfile, self.ssl_certfile = ssl_keyfile, ssl_certfile
        self.provider, self.provider_endpoint = provider, provider_endpoint
        self.routes: list[tuple[str, Callable[..., Any], list[str]]] = []
        if self.host is None and self.api_key is None and not self.service:
            raise ValueError("a MicroService needs a name (resolved by discovery) or a host")

    # -- addressing --------------------------------------------------------------------------
    @property
    def is_direct(self) -> bool:
        """Called at a fixed address (host[:port] or api_key base URL) instead of by discovery."""
        return self.host is not None

    def endpoint_path(self, model: str | None = None) -> str:
        """OPEA's URL rule; ``""`` host part when the node is resolved by discovery."""
        del model
        if self.api_key and self.host:
            return f"{self.host}{self.endpoint}"
        if self.host is None:
            return f"{self.protocol}://{self.service}{self.endpoint}"
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.protocol}://{self.host}{port}{self.endpoint}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.short_name,
            "key": self.name,
            "service": self.service,
            "host": self.host,
            "port": self.port,
            "endpoint": self.endpoint,
            "protocol": self.protocol,
            "service_type": self.service_type.name,
            "timeout": self.timeout,
            "retries": self.retries,
            "continue_on_error": self.continue_on_error,
            "addressing": "direct" if self.is_direct else "discovery",
        }

    # -- local-server API, kept so megaservice classes run unchanged --------------------------
    def add_route(
        self, endpoint: str, handler: Callable[..., Any], methods: Sequence[str] = ("POST",)
    ) -> None:
        """Record a route; mount it with ``app.include_router(service.router())``."""
        self.routes.append((endpoint, handler, list(methods)))

    def router(self) -> APIRouter:
        """The recorded routes plus OPEA's ``GET /v1/statistics`` (``collect_all_statistics``)."""
        router = APIRouter()
        for endpoint, handler, methods in self.routes:
            router.add_api_route(endpoint, handler, methods=methods)
        if not any(endpoint == "/v1/statistics" for endpoint, _, _ in self.routes):
            router.add_api_route("/v1/statistics", _statistics, methods=["GET"], summary="OPEA statistics")
        return router

    def start(self) -> None:
        log.info(
            "MicroService %s: start() does not bind a port here (remote-only orchestrator); "
            "mount service.router() on a FastAPI app instead",
            self.name,
        )

    def stop(self) -> None:
        log.debug("MicroService %s: stop() is a no-op (remote-only)", self.name)

    def __repr__(self) -> str:
        return f"MicroService({self.name!r}, {self.endpoint_path()!r})"


async def _statistics() -> dict[str, dict[str, float | None]]:
    return collect_all_statistics()


opea_microservices: dict[str, MicroService] = {}


def register_microservice(
    name: str,
    service_role: ServiceRoleType = ServiceRoleType.MICROSERVICE,
    service_type: ServiceType = ServiceType.UNDEFINED,
    protocol: str = "http",
    host: str | None = None,
    port: int | None = None,
    endpoint: str = "/",
    methods: Sequence[str] = ("POST",),
    **kwargs: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """OPEA's decorator: first use of ``name`` creates the service, later uses add routes."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        service = opea_microservices.get(name)
        if service is None:
            service = MicroService(
                name,
                service_role=service_role,
                service_type=service_type,
                protocol=protocol,
                host=host,
                port=port,
                endpoint=endpoint,
                **kwargs,
            )
            opea_microservices[name] = service
        service.add_route(endpoint, func, methods=methods)
        return func

    return decorator
