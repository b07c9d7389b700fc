"""/v1/agent/check* (contract §3)."""

from __future__ import annotations

from ...agent import Agent
from ...decode import decode_body
from ...errors import ApiError
from ...model import CRITICAL, PASSING, STATUSES, WARNING
from ...schemas import CHECK_DEFINITION, CHECK_UPDATE
from ...views import check_json
from ..query import check_dc
from ..request import Request
from ..response import Response, json_response

__all__ = ["AgentChecks"]


class AgentChecks:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def list_(self, req: Request, rest: str) -> Response:
        check_dc(req, self.agent.config)
        cat = self.agent.catalog
        out = {}
        for cid in sorted(self.agent.local_checks):
            check = cat.checks[cid]
            out[cid] = check_json(check, cat.node.name, self.agent.service_tags(check), False)
        if req.get("filter"):
            from ...bexpr import compile_filter

            match = compile_filter(req.get("filter"))
            out = {k: v for k, v in out.items() if match(v)}
        return json_response(out)

    async def register(self, req: Request, rest: str) -> Response:
        body = decode_body(await req.body(), CHECK_DEFINITION)
        self.agent.register_check(body)
        return Response(200)

    async def deregister(self, req: Request, rest: str) -> Response:
        self.agent.deregister_check(rest)
        return Response(200)

    async def pass_(self, req: Request, rest: str) -> Response:
        self.agent.ttl_update(rest, PASSING, req.get("note"))
        return Response(200)

    async def warn(self, req: Request, rest: str) -> Response:
        self.agent.ttl_update(rest, WARNING, req.get("note"))
        return Response(200)

    async def fail(self, req: Request, rest: str) -> Response:
        self.agent.ttl_update(rest, CRITICAL, req.get("note"))
        return Response(200)

    async def update(self, req: Request, rest: str) -> Response:
        body = decode_body(await req.body(), CHECK_UPDATE)
        status = body.get("Status", "")
        if status not in STATUSES:
            raise ApiError(400, f"Invalid check status: '{status}'")
        self.agent.ttl_update(rest, status, body.get("Output", ""))
        return Response(200)
