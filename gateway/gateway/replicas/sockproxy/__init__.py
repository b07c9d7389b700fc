"""A Docker API proxy that only allows what the gateway's replica management needs.

Run next to the gateway (``python -m gateway.replicas.sockproxy``) with the Docker socket
mounted; the gateway then talks to it (``DOCKER_HOST=tcp://docker-proxy:2375``) and never
sees the socket itself.
"""

from __future__ import annotations

from .policy import Decision, Policy
from .server import create_proxy_app

__all__ = ["Decision", "Policy", "create_proxy_app"]
