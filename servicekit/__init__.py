"""servicekit: what every service in the stack shares.

Settings (pydantic-settings), the Consul registration lifecycle (register with back-off,
re-register after an agent restart, deregister on shutdown), health endpoints, logging
and the uvicorn runner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .address import advertised_address, route_source_address
    from .app import create_service_app, run_service
    from .durations import parse_go_duration
    from .health import HealthReport, ReadinessProbe, health_router
    from .json_limits import JsonRejected, check_json, json_depth, loads_strict
    from .logconfig import JsonFormatter, configure_logging
    from .registration import RegistrationSpec, ServiceRegistration, consul_client
    from .settings import ConsulAddress, ConsulSettings, ServiceSettings
    from .validation import install_validation_handler, json_safe

# Exported names → their module. Imported on first use (PEP 562), so importing a light module such
# as ``servicekit.durations`` (the dev agent does) does not load FastAPI, py-consul and the rest.
_EXPORTS = {
    "advertised_address": ".address",
    "route_source_address": ".address",
    "create_service_app": ".app",
    "run_service": ".app",
    "HealthReport": ".health",
    "ReadinessProbe": ".health",
    "health_router": ".health",
    "JsonRejected": ".json_limits",
    "check_json": ".json_limits",
    "json_depth": ".json_limits",
    "loads_strict": ".json_limits",
    "JsonFormatter": ".logconfig",
    "configure_logging": ".logconfig",
    "RegistrationSpec": ".registration",
    "ServiceRegistration": ".registration",
    "consul_client": ".registration",
    "ConsulAddress": ".settings",
    "ConsulSettings": ".settings",
    "ServiceSettings": ".settings",
    "parse_go_duration": ".durations",
    "install_validation_handler": ".validation",
    "json_safe": ".validation",
}

__all__ = [
    "JsonRejected",
    "check_json",
    "json_depth",
    "loads_strict",
    "ConsulAddress",
    "ConsulSettings",
    "HealthReport",
    "JsonFormatter",
    "ReadinessProbe",
    "RegistrationSpec",
    "ServiceRegistration",
    "ServiceSettings",
    "advertised_address",
    "configure_logging",
    "consul_client",
    "create_service_app",
    "health_router",
    "install_validation_handler",
    "json_safe",
    "parse_go_duration",
    "route_source_address",
    "run_service",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
