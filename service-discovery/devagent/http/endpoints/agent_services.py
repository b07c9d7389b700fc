"""/v1/agent/service* and /v1/agent/maintenance (contract §2)."""

from __future__ import annotations

import random
import time
from typing import Any

from servicekit.durations import DurationError, parse_duration

from ...agent import Agent
from ...decode import decode_body
from ...errors import ApiError
from ...model import CRITICAL, PASSING, WARNING
from ...schemas import SERVICE_DEFINITION
from ...views import agent_service, check_json, content_hash
from ..query import check_dc
from ..request import Request
from ..response import Response, json_response, text_response
from .common import enable_param

__all__ = ["AgentServices"]


class AgentServices:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def register(self, req: Request, rest: str) -> Response:
        body = decode_body(await req.body(), SERVICE_DEFINITION)
        replace = req.has("replace-existing-checks") and req.get("replace-existing-checks") in ("", "true")
        self.agent.register_service(body, replace)
        return Response(200)

    async def deregister(self, req: Request, rest: str) -> Response:
        self.agent.deregister_service(rest)
        return Response(200)

    async def maintenance(self, req: Request, rest: str) -> Response:
        if not rest:
            raise ApiError(400, "Missing service ID")
        enable = enable_param(req)
        self.agent.service_maintenance(rest, enable, req.get("reason"))
        return Response(200)

    async def node_maintenance(self, req: Request, rest: str) -> Response:
        enable = enable_param(req)
        self.agent.node_maintenance(enable, req.get("reason"))
        return Response(200)

    def _services(self) -> dict[str, dict[str, Any]]:
        cat = self.agent.catalog
        dc = self.agent.config.datacenter
        return {sid: agent_service(cat.services[sid], dc) for sid in sorted(self.agent.local_services)}

    async def list_(self, req: Request, rest: str) -> Response:
        check_dc(req, self.agent.config)
        services = self._services()
        if req.get("filter"):
            from ...bexpr import compile_filter

            match = compile_filter(req.get("filter"))
            services = {k: v for k, v in services.items() if match(v)}
        return json_response(services)

    def _one(self, service_id: str) -> dict[str, Any]:
        svc = self.agent.catalog.services.get(service_id)
        if svc is None or service_id not in self.agent.local_services:
            raise ApiError(404, f"unknown service ID: {service_id}")
        out = agent_service(svc, self.agent.config.datacenter)
        out["ContentHash"] = content_hash(out)
        return out

    async def get(self, req: Request, rest: str) -> Response:
        """Single service with hash-based blocking (?hash=&wait=)."""
        out = self._one(rest)
        wanted = req.get("hash")
        if wanted and wanted == out["ContentHash"]:
            wait = 300.0
            if req.get("wait"):
                try:
                    wait = parse_duration(req.get("wait")) / 1e9
                except DurationError:
                    raise ApiError(400, "Invalid wait time") from None
            wait = min(wait or 300.0, self.agent.config.max_query_time)
            deadline = time.monotonic() + wait + random.random() * wait / 16
            while out["ContentHash"] == wanted:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                await self.agent.hub.wait(["services", "svc:" + out["Service"]], remaining)
                out = self._one(rest)
        return json_response(out, {"X-Consul-Contenthash": out["ContentHash"]})

    def _aggregate(self, service_ids: list[str]) -> tuple[str, list[dict[str, Any]]]:
        cat = self.agent.catalog
        results = []
        worst = PASSING
        rank = {PASSING: 0, WARNING: 1, CRITICAL: 2, "maintenance": 3}
        for sid in service_ids:
            svc = cat.services[sid]
            checks = cat.sorted_node_checks() + cat.checks_of(sid)
            status = PASSING
            for c in checks:
                s = "maintenance" if c.type == "maintenance" else c.status
                if rank.get(s, 2) > rank[status]:
                    status = s
            if rank[status] > rank[worst]:
                worst = status
            results.append(
                {
                    "AggregatedStatus": status,
                    "Service": agent_service(svc, self.agent.config.datacenter),
                    "Checks": [
                        check_json(c, cat.node.name, svc.tags if c.service_id else [], False) for c in checks
                    ],
                }
            )
        return worst, results

    def _status_code(self, status: str) -> int:
        return {PASSING: 200, WARNING: 429}.get(status, 503)

    async def health_by_id(self, req: Request, rest: str) -> Response:
        if not rest:
            raise ApiError(400, "Missing serviceID")
        if rest not in self.agent.local_services:
            missing = {"AggregatedStatus": CRITICAL, "Checks": None, "Service": None}
            return self._text_or_json(req, 404, f"ServiceId {rest} not found", missing)
        status, results = self._aggregate([rest])
        return self._text_or_json(req, self._status_code(status), status, results[0])

    async def health_by_name(self, req: Request, rest: str) -> Response:
        if not rest:
            raise ApiError(400, "Missing service Name")
        ids = [s.id for s in self.agent.catalog.instances(rest) if s.id in self.agent.local_services]
        if not ids:
            return self._text_or_json(req, 404, f"ServiceName {rest} Not Found", [])
        status, results = self._aggregate(ids)
        return self._text_or_json(req, self._status_code(status), status, results)

    def _text_or_json(self, req: Request, code: int, status: str, payload: Any) -> Response:
        text = req.headers.get("accept", "").startswith("text/plain") or (
            req.has("format") and req.get("format") == "text"
        )
        if text:
            return text_response(code, status)
        return json_response(payload, {"X-Consul-Reason": status}, status=code)
