"""servicekit: what every service in the stack shares.

Settings (pydantic-settings), the Consul registration lifecycle (register with back-off,
re-register after an agent restart, deregister on shutdown), health endpoints, logging
and the uvicorn runner.
"""

from __future__ import annotations

from .address import advertised_address, route_source_address
from .app import create_service_app, run_service
from .health import HealthReport, ReadinessProbe, health_router
from .json_limits import JsonRejected, check_json, json_depth, loads_strict
from .logconfig import JsonFormatter, configure_logging
from .registration import RegistrationSpec, ServiceRegistration, consul_client
from .settings import ConsulAddress, ConsulSettings, ServiceSettings, parse_go_duration
from .validation import install_validation_handler, json_safe

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
