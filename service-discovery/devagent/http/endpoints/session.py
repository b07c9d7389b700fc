"""/v1/session/* (Consul's agent/session_endpoint.go over agent/consul/session_endpoint.go)."""

from __future__ import annotations

import json
from typing import Any

from servicekit.durations import SECOND, DurationError, parse_duration

from ...agent import Agent
from ...decode import DecodeError, decode_body
from ...errors import ApiError
from ...schemas import SESSION
from ...sessions import SERF_CHECK, Session
from ..blocking import block
from ..query import check_dc, meta_headers, parse_query
from ..request import Request
from ..response import Response, json_response

__all__ = ["SessionEndpoints"]

# agent/session_endpoint.go lockDelayMinThreshold: a LockDelay below 1000 (ns) means seconds
_LOCK_DELAY_MIN_THRESHOLD = 1000


def _lock_delay(value: Any) -> int:
    """Session.UnmarshalJSON: a Go duration string or a number of ns; small values are seconds."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DecodeError("json: cannot unmarshal LockDelay into Go struct field Session.LockDelay")
    if isinstance(value, str):
        try:
            ns = parse_duration(value)
        except DurationError as exc:
            raise DecodeError(str(exc)) from None
    else:
        ns = int(value)
    return ns * SECOND if ns < _LOCK_DELAY_MIN_THRESHOLD else ns


def session_from_body(raw: bytes, node: str) -> Session:
    """The create request: defaults (agent node, serfHealth, 15 s, release) overlaid by the body."""
    session = Session(id="", node=node, node_checks=[SERF_CHECK])
    if not raw.strip():
        return session
    body = decode_body(raw, SESSION)
    keys = {k.lower() for k in json.loads(raw)}
    session.name = body.get("Name", "")
    session.node = body.get("Node", session.node)
    session.behavior = body.get("Behavior", session.behavior)
    if "LockDelay" in body:
        session.lock_delay_ns = _lock_delay(body["LockDelay"])
    if "checks" in keys or "nodechecks" in keys:
        # Supplying a check list replaces the default serfHealth (FixupChecks); an empty list
        # creates a session bound to no check. Deprecated Checks are node checks too.
        merged: list[str] = []
        for check_id in [*body.get("Checks", []), *body.get("NodeChecks", [])]:
            if check_id not in merged:
                merged.append(check_id)
        session.node_checks = merged
    session.service_checks = [c.get("ID", "") for c in body.get("ServiceChecks", [])]
    ttl = body.get("TTL", "")
    session.ttl = ttl
    if ttl:
        try:
            session.ttl_ns = parse_duration(ttl)
        except DurationError as exc:
            raise ApiError(500, f"Session TTL '{ttl}' invalid: {exc}") from None
    return session


class SessionEndpoints:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.sessions = agent.sessions

    async def create(self, req: Request, _rest: str) -> Response:
        check_dc(req, self.agent.config)
        session = session_from_body(await req.body(), self.agent.config.node_name)
        return json_response({"ID": self.sessions.create(session)})

    async def destroy(self, req: Request, session_id: str) -> Response:
        check_dc(req, self.agent.config)
        if not session_id:
            raise ApiError(400, "Missing session")
        self.sessions.destroy(session_id)
        return json_response(True)

    async def renew(self, req: Request, session_id: str) -> Response:
        parse_query(req, self.agent.config)
        if not session_id:
            raise ApiError(400, "Missing session")
        session = self.sessions.renew(session_id)
        if session is None:
            raise ApiError(404, f"Session id '{session_id}' not found")
        return json_response([session.to_json()])

    async def info(self, req: Request, session_id: str) -> Response:
        opts = parse_query(req, self.agent.config)
        if not session_id:
            raise ApiError(400, "Missing session")
        index = await block(self.agent.hub, opts, self.sessions.index, lambda: ["sessions"])
        found = self.sessions.get(session_id)
        body = [found.to_json()] if found else []
        return json_response(body, meta_headers(index, opts))

    async def list_(self, req: Request, _rest: str) -> Response:
        opts = parse_query(req, self.agent.config)
        index = await block(self.agent.hub, opts, self.sessions.index, lambda: ["sessions"])
        return json_response([s.to_json() for s in self.sessions.list()], meta_headers(index, opts))

    async def node(self, req: Request, node: str) -> Response:
        opts = parse_query(req, self.agent.config)
        if not node:
            raise ApiError(400, "Missing node name")
        index = await block(self.agent.hub, opts, self.sessions.index, lambda: ["sessions"])
        return json_response([s.to_json() for s in self.sessions.list(node)], meta_headers(index, opts))
