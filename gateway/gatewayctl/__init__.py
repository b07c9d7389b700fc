"""``gatewayctl``: the gateway's command-line client (status, routes, replicas, autoscaling, flows).

It speaks only the gateway's public HTTP API, so it works against any gateway instance.
"""

from .cli import app, main

__all__ = ["app", "main"]
