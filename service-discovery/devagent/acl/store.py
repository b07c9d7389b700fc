"""ACL tokens and policies (Consul's ACL state in dev mode), and resolving a secret to an authorizer.

Built in, as Consul creates them: the ``global-management`` policy, the anonymous token
(AccessorID ``00000000-0000-0000-0000-000000000002``, used for requests without a token), and the
initial management token when one is configured.  Service and node identities grant what Consul's
synthetic policies grant (service:write on the service and its sidecar, read on services and nodes;
node:write on the node).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .authorizer import Authorizer
from .rules import PolicyRules, parse_rules

__all__ = ["ANONYMOUS_ACCESSOR", "ACLStore", "MANAGEMENT_POLICY_ID", "Policy", "Token", "TokenNotFound"]

MANAGEMENT_POLICY_ID = "00000000-0000-0000-0000-000000000001"
ANONYMOUS_ACCESSOR = "00000000-0000-0000-0000-000000000002"
ANONYMOUS_SECRET = "anonymous"
_MANAGEMENT_RULES = """
acl = "write"
agent_prefix "" { policy = "write" }
event_prefix "" { policy = "write" }
key_prefix "" { policy = "write" }
keyring = "write"
node_prefix "" { policy = "write" }
operator = "write"
mesh = "write"
peering = "write"
query_prefix "" { policy = "write" }
service_prefix "" { policy = "write" intentions = "write" }
session_prefix "" { policy = "write" }
"""


class TokenNotFound(Exception):
    """acl.ErrNotFound: 403 ``ACL not found``."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(*parts: object) -> str:
    return base64.b64encode(hashlib.blake2b(repr(parts).encode(), digest_size=32).digest()).decode()


@dataclass
class Policy:
    id: str
    name: str
    description: str = ""
    rules: str = ""
    datacenters: list[str] = field(default_factory=list)
    parsed: PolicyRules = field(default_factory=PolicyRules)
    create_index: int = 0
    modify_index: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ID": self.id,
            "Name": self.name,
            "Description": self.description,
            "Rules": self.rules,
        }
        if self.datacenters:
            out["Datacenters"] = list(self.datacenters)
        out.update(
            {
                "Hash": _hash(self.name, self.description, self.rules),
                "CreateIndex": self.create_index,
                "ModifyIndex": self.modify_index,
            }
        )
        return out


@dataclass
class Token:
    accessor_id: str
    secret_id: str
    description: str = ""
    policies: list[str] = field(default_factory=list)  # policy IDs
    service_identities: list[dict[str, Any]] = field(default_factory=list)
    node_identities: list[dict[str, Any]] = field(default_factory=list)
    local: bool = False
    create_time: str = field(default_factory=_now)
    create_index: int = 0
    modify_index: int = 0

    def to_json(self, policy_names: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AccessorID": self.accessor_id,
            "SecretID": self.secret_id,
            "Description": self.description,
        }
        if self.policies:
            out["Policies"] = [{"ID": p, "Name": policy_names.get(p, "")} for p in self.policies]
        if self.service_identities:
            out["ServiceIdentities"] = self.service_identities
        if self.node_identities:
            out["NodeIdentities"] = self.node_identities
        out.update(
            {
                "Local": self.local,
                "CreateTime": self.create_time,
                "Hash": _hash(self.description, self.policies, self.service_identities, self.node_identities),
                "CreateIndex": self.create_index,
                "ModifyIndex": self.modify_index,
            }
        )
        return out


class ACLStore:
    def __init__(
        self,
        next_index: Callable[[], int],
        default_allow: bool,
        datacenter: str,
        initial_management_token: str = "",
    ) -> None:
        self._next_index = next_index
        self.default_allow = default_allow
        self.datacenter = datacenter
        self.policies: dict[str, Policy] = {}
        self.tokens: dict[str, Token] = {}  # accessor → token
        self._by_secret: dict[str, str] = {}
        self.agent_tokens: dict[str, str] = {}  # /v1/agent/token/<kind>
        self.bootstrap_index = 0  # index of the bootstrap (or initial management token); 0 = still allowed
        idx = next_index()
        management = Policy(
            MANAGEMENT_POLICY_ID,
            "global-management",
            "Builtin Policy that grants unlimited access",
            _MANAGEMENT_RULES.strip(),
            parsed=parse_rules(_MANAGEMENT_RULES),
            create_index=idx,
            modify_index=idx,
        )
        self.policies[management.id] = management
        self.put_token(Token(ANONYMOUS_ACCESSOR, ANONYMOUS_SECRET, "Anonymous Token"))
        if initial_management_token:
            self.bootstrap_index = idx
            self.put_token(
                Token(
                    str(uuid.uuid4()),
                    initial_management_token,
                    "Initial Management Token",
                    policies=[MANAGEMENT_POLICY_ID],
                )
            )

    # -- tokens --------------------------------------------------------------------------------
    def put_token(self, token: Token) -> Token:
        old = self.tokens.get(token.accessor_id)
        idx = self._next_index()
        token.create_index = old.create_index if old else idx
        token.modify_index = idx
        if old is not None:
            self._by_secret.pop(old.secret_id, None)
        self.tokens[token.accessor_id] = token
        self._by_secret[token.secret_id] = token.accessor_id
        return token

    def delete_token(self, accessor: str) -> None:
        token = self.tokens.pop(accessor, None)
        if token is not None:
            self._by_secret.pop(token.secret_id, None)

    def by_secret(self, secret: str) -> Token | None:
        accessor = self._by_secret.get(secret)
        return self.tokens.get(accessor) if accessor else None

    def policy_names(self) -> dict[str, str]:
        return {p.id: p.name for p in self.policies.values()}

    def bootstrap(self) -> Token | None:
        """PUT /v1/acl/bootstrap: one management token, once (None when no longer allowed)."""
        if self.bootstrap_index:
            return None
        token = self.put_token(
            Token(
                str(uuid.uuid4()),
                str(uuid.uuid4()),
                "Bootstrap Token (Global Management)",
                policies=[MANAGEMENT_POLICY_ID],
            )
        )
        self.bootstrap_index = token.create_index
        return token

    # -- policies ------------------------------------------------------------------------------
    def put_policy(self, policy: Policy) -> Policy:
        old = self.policies.get(policy.id)
        idx = self._next_index()
        policy.create_index = old.create_index if old else idx
        policy.modify_index = idx
        self.policies[policy.id] = policy
        return policy

    def policy_by_name(self, name: str) -> Policy | None:
        return next((p for p in self.policies.values() if p.name == name), None)

    # -- resolution ----------------------------------------------------------------------------
    def resolve(self, secret: str) -> Authorizer:
        """The authorizer for a request's token ("" = none given: the agent's default token, else
        anonymous).  An unknown secret raises TokenNotFound."""
        if not secret:
            secret = self.agent_tokens.get("default", "") or ANONYMOUS_SECRET
        token = self.by_secret(secret)
        if token is None:
            raise TokenNotFound()
        return self.authorizer_for(token)

    def authorizer_for(self, token: Token) -> Authorizer:
        if MANAGEMENT_POLICY_ID in token.policies:
            return Authorizer(token.accessor_id, PolicyRules(), self.default_allow, management=True)
        rules = PolicyRules()
        for policy_id in token.policies:
            policy = self.policies.get(policy_id)
            if policy is not None and (not policy.datacenters or self.datacenter in policy.datacenters):
                rules.update(policy.parsed)
        for ident in token.service_identities:
            name = ident.get("ServiceName", "")
            rules.add("service", name, "write", False)
            rules.add("service", f"{name}-sidecar-proxy", "write", False)
            rules.add("service", "", "read", True)
            rules.add("node", "", "read", True)
        for ident in token.node_identities:
            rules.add("node", ident.get("NodeName", ""), "write", False)
            rules.add("service", "", "read", True)
        return Authorizer(token.accessor_id, rules, self.default_allow)
