"""Agent configuration (command line / environment); defaults match ``consul agent -dev``."""

from __future__ import annotations

import socket
from dataclasses import dataclass

__all__ = ["AgentConfig", "CONSUL_VERSION"]

CONSUL_VERSION = "1.22.0"


@dataclass
class AgentConfig:
    host: str = "127.0.0.1"
    port: int = 8500
    node_name: str = socket.gethostname() or "devagent"
    datacenter: str = "dc1"
    advertise_addr: str = "127.0.0.1"
    log_level: str = "info"
    check_update_interval: float = 300.0  # output-only changes reach the catalog this late (seconds)
    check_reap_interval: float = 30.0
    deregister_min: float = 60.0
    min_check_interval: float = 1.0
    immediate_first_check: bool = False  # Consul waits a random fraction of the interval first
    default_query_time: float = 300.0
    max_query_time: float = 600.0
    output_max_size: int = 4096
    kv_max_value_size: int = 524288
    enable_script_checks: bool = False
    kv_key_validation: bool = False  # very recent Consul rejects some keys (contract §8); off by default
    session_ttl_min: float = 10.0  # Consul's session_ttl_min; tests lower it to expire sessions fast
    prometheus_retention_time: float = (
        0.0  # telemetry.prometheus_retention_time; 0 = ?format=prometheus → 415
    )
    acl_enabled: bool = False  # Consul's acl.enabled; off = tokens ignored, /v1/acl/* → 401
    acl_default_policy: str = "deny"  # acl.default_policy for what no rule covers
    acl_initial_management_token: str = ""  # acl.tokens.initial_management
    pretty: bool = True  # indented like `consul agent -dev`; --no-pretty sends compact bodies
