"""``python -m gateway.replicas.sockproxy``: the restricted Docker API proxy.

Environment: ``PROXY_STACK`` (stack id, required), ``PROXY_IMAGES`` (comma-separated allowed
replica images, required), ``PROXY_NETWORK`` (the only network replicas may join),
``PROXY_PORT`` (2375), ``PROXY_HOST`` (0.0.0.0), ``DOCKER_SOCKET`` (/var/run/docker.sock).
"""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from .policy import Policy
from .server import create_proxy_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stack = os.environ.get("PROXY_STACK", "").strip()
    images = frozenset(i.strip() for i in os.environ.get("PROXY_IMAGES", "").split(",") if i.strip())
    if not stack or not images:
        print("PROXY_STACK and PROXY_IMAGES must be set", file=sys.stderr)
        raise SystemExit(2)
    policy = Policy(stack, images, os.environ.get("PROXY_NETWORK") or None)
    app = create_proxy_app(policy, os.environ.get("DOCKER_SOCKET", "/var/run/docker.sock"))
    web.run_app(
        app,
        host=os.environ.get("PROXY_HOST", "0.0.0.0"),
        port=int(os.environ.get("PROXY_PORT", "2375")),
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
