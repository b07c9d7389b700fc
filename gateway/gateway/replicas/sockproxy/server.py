"""The proxy's HTTP server: policy check, then forward to the Docker socket."""

from __future__ import annotations

import json
import logging

import aiohttp
from aiohttp import web

from .policy import Policy

__all__ = ["create_proxy_app"]

log = logging.getLogger("gateway.sockproxy")

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}


def create_proxy_app(policy: Policy, socket_path: str = "/var/run/docker.sock") -> web.Application:
    app = web.Application(client_max_size=1 << 20)
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def on_startup(app: web.Application) -> None:
        app[session_key] = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=socket_path), timeout=aiohttp.ClientTimeout(total=120)
        )

    async def on_cleanup(app: web.Application) -> None:
        await app[session_key].close()

    async def network_ids(session: aiohttp.ClientSession) -> frozenset[str]:
        """The replica network's id (a service update names its networks by id)."""
        if not policy.network:
            return frozenset()
        async with session.get(f"http://docker/networks/{policy.network}") as resp:
            data = await resp.json() if resp.status == 200 else {}
        return frozenset({str(data["Id"])}) if isinstance(data, dict) and data.get("Id") else frozenset()

    def refuse(reason: str) -> web.Response:
        log.warning("refused: %s", reason)
        return web.json_response({"message": f"refused by the gateway's Docker proxy: {reason}"}, status=403)

    async def handle(request: web.Request) -> web.StreamResponse:
        session = app[session_key]
        decision = policy.decide(request.method, request.path)
        if not decision.allowed:
            return refuse(decision.reason)
        body = await request.read()
        if decision.check_body:
            try:
                reason = policy.check_create(json.loads(body or b"null"))
            except ValueError:
                reason = "container create body is not JSON"
            if reason:
                return refuse(reason)
        if decision.check_service_body:
            try:
                spec = json.loads(body or b"null")
            except ValueError:
                return refuse("service spec is not JSON")
            reason = policy.check_service(spec, await network_ids(session))
            if reason:
                return refuse(reason)
        if decision.service_target is not None:
            async with session.get(f"http://docker/services/{decision.service_target}") as inspect:
                if inspect.status == 404:
                    return web.json_response(
                        {"message": f"service {decision.service_target} not found"}, status=404
                    )
                data = await inspect.json() if inspect.status == 200 else {}
            if not policy.labels_ok(((data or {}).get("Spec") or {}).get("Labels")):
                return refuse(
                    f"service {decision.service_target} is not a replica service of stack {policy.stack!r}"
                )
        if decision.target is not None:
            async with session.get(f"http://docker/containers/{decision.target}/json") as inspect:
                if inspect.status == 404:
                    return web.json_response({"message": f"No such container: {decision.target}"}, status=404)
                data = await inspect.json() if inspect.status == 200 else {}
            if not policy.labels_ok(((data or {}).get("Config") or {}).get("Labels")):
                return refuse(f"container {decision.target} is not a replica of stack {policy.stack!r}")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with session.request(
            request.method, f"http://docker{request.path_qs}", headers=headers, data=body or None
        ) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
            return web.Response(status=upstream.status, body=payload, headers=out)

    app.router.add_route("*", "/{tail:.*}", handle)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
