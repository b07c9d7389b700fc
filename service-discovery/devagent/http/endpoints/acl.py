"""/v1/acl/* tokens and policies, and /v1/agent/token/<kind> (Consul's agent/acl_endpoint.go and
agent_endpoint.go AgentToken), when ACLs are enabled."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from ...acl import MANAGEMENT_POLICY_ID, Policy, RulesError, Token, parse_rules
from ...acl.store import TokenNotFound
from ...agent import Agent
from ...errors import ApiError
from ..request import Request
from ..response import Response, json_response

__all__ = ["ACLEndpoints", "AGENT_TOKEN_KINDS"]

_POLICY_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,128}$")
# agent_endpoint.go AgentToken: current names and the legacy ones it still accepts
AGENT_TOKEN_KINDS = {
    "default": "default",
    "acl_token": "default",
    "agent": "agent",
    "acl_agent_token": "agent",
    "agent_recovery": "agent_recovery",
    "agent_master": "agent_recovery",
    "acl_agent_master_token": "agent_recovery",
    "replication": "replication",
    "acl_replication_token": "replication",
    "config_file_service_registration": "config_file_service_registration",
    "dns": "dns",
}


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise ApiError(400, "Request decode failed: EOF")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Request decode failed: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Request decode failed: json: cannot unmarshal into Go value of type structs.ACL")
    return {k.lower(): v for k, v in data.items()}


class ACLEndpoints:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @property
    def store(self) -> Any:
        if self.agent.acl is None:
            raise ApiError(401, "ACL support disabled")
        return self.agent.acl

    async def agent_token(self, req: Request, kind: str) -> Response:
        store = self.store
        canonical = AGENT_TOKEN_KINDS.get(kind)
        if canonical is None:
            raise ApiError(404, f'Token "{kind}" is unknown')
        body = _body(await req.body())
        token = body.get("token", "")
        if not isinstance(token, str):
            raise ApiError(400, "Request decode failed: Token must be a string")
        store.agent_tokens[canonical] = token
        return Response(200)

    async def handle(self, req: Request, rest: str) -> Response:
        store = self.store
        authz = req.authz
        method = req.method
        parts = rest.split("/", 1)
        head, tail = parts[0], parts[1] if len(parts) > 1 else ""
        if head == "bootstrap" and method == "PUT":
            token = store.bootstrap()
            if token is None:
                raise ApiError(
                    403,
                    "Permission denied: ACL bootstrap no longer allowed "
                    f"(reset index: {store.bootstrap_index})",
                )
            return json_response(token.to_json(store.policy_names()))
        if head == "token" and tail == "self" and method == "GET":
            token = store.by_secret(req.token() or store.agent_tokens.get("default", "") or "anonymous")
            if token is None:
                raise TokenNotFound()
            return json_response(token.to_json(store.policy_names()))
        if head == "tokens" and method == "GET":
            authz.require("acl", None, "read")
            tokens = sorted(store.tokens.values(), key=lambda t: t.create_index)
            return json_response([t.to_json(store.policy_names()) for t in tokens])
        if head == "policies" and method == "GET":
            authz.require("acl", None, "read")
            policies = sorted(store.policies.values(), key=lambda p: p.create_index)
            return json_response([p.to_json() for p in policies])
        if head == "token":
            return await self._token(req, tail)
        if head == "policy":
            return await self._policy(req, tail)
        raise ApiError(404, "Invalid URL path: not a recognized HTTP API endpoint\n")

    # -- tokens --------------------------------------------------------------------------------
    async def _token(self, req: Request, accessor: str) -> Response:
        store = self.store
        authz = req.authz
        names = store.policy_names()
        if req.method == "GET":
            authz.require("acl", None, "read")
            token = store.tokens.get(accessor)
            if token is None:
                raise TokenNotFound()
            return json_response(token.to_json(names))
        authz.require("acl", None, "write")
        if req.method == "DELETE":
            if accessor not in store.tokens:
                raise TokenNotFound()
            if accessor == "00000000-0000-0000-0000-000000000002":
                raise ApiError(500, "Delete operation not permitted on the anonymous token")
            store.delete_token(accessor)
            return json_response(True)
        body = _body(await req.body())
        if req.method != "PUT":
            raise ApiError(405, f"method {req.method} not allowed")
        existing = store.tokens.get(accessor) if accessor else None
        if accessor and existing is None:
            raise ApiError(500, f"Cannot find token {accessor}")
        accessor_id = accessor or str(body.get("accessorid") or uuid.uuid4())
        secret = str(body.get("secretid") or (existing.secret_id if existing else uuid.uuid4()))
        if existing is None and (accessor_id in store.tokens or store.by_secret(secret) is not None):
            raise ApiError(500, "Invalid Token: AccessorID or SecretID is already in use")
        token = Token(
            accessor_id,
            secret,
            str(body.get("description") or ""),
            policies=self._policy_links(body.get("policies") or []),
            service_identities=self._identities(body.get("serviceidentities") or [], "ServiceName"),
            node_identities=self._identities(body.get("nodeidentities") or [], "NodeName"),
            local=bool(body.get("local", False)),
        )
        if existing is not None:
            token.create_time = existing.create_time
        return json_response(store.put_token(token).to_json(store.policy_names()))

    def _policy_links(self, links: Any) -> list[str]:
        store = self.store
        out: list[str] = []
        if not isinstance(links, list):
            raise ApiError(400, "Request decode failed: Policies must be a list")
        for link in links:
            link = {k.lower(): v for k, v in link.items()} if isinstance(link, dict) else {}
            if link.get("id"):
                if link["id"] not in store.policies:
                    raise ApiError(500, f'No such ACL policy with ID "{link["id"]}"')
                out.append(link["id"])
            elif link.get("name"):
                policy = store.policy_by_name(link["name"])
                if policy is None:
                    raise ApiError(500, f'No such ACL policy with name "{link["name"]}"')
                out.append(policy.id)
        return list(dict.fromkeys(out))

    @staticmethod
    def _identities(items: Any, key: str) -> list[dict[str, Any]]:
        if not isinstance(items, list):
            raise ApiError(400, f"Request decode failed: {key} identities must be a list")
        out = []
        for item in items:
            item = {k.lower(): v for k, v in item.items()} if isinstance(item, dict) else {}
            name = item.get(key.lower())
            if not isinstance(name, str) or not name:
                raise ApiError(400, f"Invalid Token: identity is missing the {key}")
            entry: dict[str, Any] = {key: name}
            if key == "NodeName":
                entry["Datacenter"] = item.get("datacenter") or ""
            elif item.get("datacenters"):
                entry["Datacenters"] = item["datacenters"]
            out.append(entry)
        return out

    # -- policies ------------------------------------------------------------------------------
    async def _policy(self, req: Request, rest: str) -> Response:
        store = self.store
        authz = req.authz
        if req.method == "GET":
            authz.require("acl", None, "read")
            if rest.startswith("name/"):
                found = store.policy_by_name(rest.removeprefix("name/"))
            else:
                found = store.policies.get(rest)
            if found is None:
                raise TokenNotFound()
            return json_response(found.to_json())
        authz.require("acl", None, "write")
        if req.method == "DELETE":
            if rest == MANAGEMENT_POLICY_ID:
                raise ApiError(500, "Delete operation not permitted on the builtin global-management policy")
            if rest not in store.policies:
                raise TokenNotFound()
            del store.policies[rest]
            for token in store.tokens.values():
                if rest in token.policies:
                    token.policies.remove(rest)
            return json_response(True)
        body = _body(await req.body())
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "Invalid Policy: no Name is set")
        if not _POLICY_NAME.match(name):
            raise ApiError(
                400, "Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"
            )
        existing = store.policies.get(rest) if rest else None
        if rest and existing is None:
            raise ApiError(500, f"Cannot find policy {rest}")
        clash = store.policy_by_name(name)
        if clash is not None and clash is not existing:
            raise ApiError(400, f'Invalid Policy: A Policy with Name "{name}" already exists')
        if existing is not None and existing.id == MANAGEMENT_POLICY_ID:
            raise ApiError(
                500, "Changing the Rules for the builtin global-management policy is not permitted"
            )
        rules = str(body.get("rules") or "")
        try:
            parsed = parse_rules(rules)
        except RulesError as exc:
            raise ApiError(400, f"Invalid Policy: {exc}") from None
        policy = Policy(
            rest or str(uuid.uuid4()),
            name,
            str(body.get("description") or ""),
            rules,
            datacenters=list(body.get("datacenters") or []),
            parsed=parsed,
        )
        return json_response(store.put_policy(policy).to_json())
