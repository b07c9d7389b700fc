"""Policy rules: the HCL subset (and the JSON form) Consul's ACL policies are written in.

    service_prefix "" { policy = "read" }
    service "web" { policy = "write" }
    key_prefix "consul-gateway/" { policy = "write" }
    operator = "read"

Resources with names (``service``, ``node``, ``key``, ``session``, ``agent``, ``event``, ``query``,
each also as ``<resource>_prefix``) map a name to a policy; ``acl``, ``operator``, ``keyring``,
``mesh`` and ``peering`` take one policy.  Policies are ``read``, ``write``, ``list`` or ``deny``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NAMED", "SINGLE", "POLICIES", "PolicyRules", "RulesError", "parse_rules"]

NAMED = ("service", "node", "key", "session", "agent", "event", "query")
SINGLE = ("acl", "operator", "keyring", "mesh", "peering")
POLICIES = ("read", "write", "list", "deny")


class RulesError(ValueError):
    """Consul answers these 400 ``Invalid Policy: ...``."""


@dataclass
class PolicyRules:
    exact: dict[str, dict[str, str]] = field(default_factory=dict)  # resource → name → policy
    prefix: dict[str, dict[str, str]] = field(default_factory=dict)
    single: dict[str, str] = field(default_factory=dict)

    def add(self, resource: str, name: str | None, policy: str, is_prefix: bool) -> None:
        if policy not in POLICIES:
            raise RulesError(f'Invalid rule: invalid policy "{policy}" for {resource}')
        if name is None:
            self.single[resource] = merge(self.single.get(resource), policy)
            return
        table = (self.prefix if is_prefix else self.exact).setdefault(resource, {})
        table[name] = merge(table.get(name), policy)

    def update(self, other: PolicyRules) -> None:
        for resource, names in other.exact.items():
            for name, policy in names.items():
                self.add(resource, name, policy, False)
        for resource, names in other.prefix.items():
            for name, policy in names.items():
                self.add(resource, name, policy, True)
        for resource, policy in other.single.items():
            self.add(resource, None, policy, False)


_RANK = {"deny": 4, "write": 3, "list": 2, "read": 1}


def merge(old: str | None, new: str) -> str:
    """acl/policy_merger.go takesPrecedenceOver: deny > write > list > read."""
    if old is None:
        return new
    return old if _RANK[old] >= _RANK[new] else new


_TOKEN = re.compile(
    r'\s+|#[^\n]*|//[^\n]*|/\*.*?\*/|(?P<str>"(?:[^"\\]|\\.)*")|(?P<sym>[{}=\[\],:])|(?P<ident>[A-Za-z_][\w-]*)',
    re.S,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RulesError(f"Failed to parse ACL rules: illegal char at offset {pos}")
        pos = m.end()
        if m.group("str") is not None:
            out.append(("str", json.loads(m.group("str"))))
        elif m.group("sym") is not None:
            out.append(("sym", m.group("sym")))
        elif m.group("ident") is not None:
            out.append(("ident", m.group("ident")))
    return out


def _resource(word: str) -> tuple[str, bool]:
    is_prefix = word.endswith("_prefix")
    base = word.removesuffix("_prefix")
    if base not in NAMED and base not in SINGLE:
        raise RulesError(f'Failed to parse ACL rules: unknown resource "{word}"')
    if is_prefix and base not in NAMED:
        raise RulesError(f'Failed to parse ACL rules: unknown resource "{word}"')
    return base, is_prefix


def _parse_hcl(text: str) -> PolicyRules:
    toks = _tokens(text)
    rules = PolicyRules()
    i = 0

    def expect(kind: str, value: str | None = None) -> str:
        nonlocal i
        if i >= len(toks) or toks[i][0] != kind or (value is not None and toks[i][1] != value):
            got = toks[i][1] if i < len(toks) else "end of rules"
            raise RulesError(f"Failed to parse ACL rules: expected {value or kind}, got {got!r}")
        i += 1
        return toks[i - 1][1]

    while i < len(toks):
        word = expect("ident")
        resource, is_prefix = _resource(word)
        if resource in SINGLE:
            expect("sym", "=")
            rules.add(resource, None, expect("str"), False)
            continue
        name = expect("str")
        expect("sym", "{")
        policy = None
        while i < len(toks) and toks[i] != ("sym", "}"):
            attr = expect("ident")
            expect("sym", "=")
            value = expect("str")
            if attr == "policy":
                policy = value
            elif attr not in ("intentions",):
                raise RulesError(f'Failed to parse ACL rules: unknown attribute "{attr}"')
        expect("sym", "}")
        if policy is None:
            raise RulesError(f'Failed to parse ACL rules: {word} "{name}" needs a policy')
        rules.add(resource, name, policy, is_prefix)
    return rules


def _parse_json(data: Any) -> PolicyRules:
    rules = PolicyRules()
    if not isinstance(data, dict):
        raise RulesError("Failed to parse ACL rules: expected an object")
    for word, value in data.items():
        resource, is_prefix = _resource(word)
        if resource in SINGLE:
            if not isinstance(value, str):
                raise RulesError(f"Failed to parse ACL rules: {word} takes a policy string")
            rules.add(resource, None, value, False)
            continue
        if not isinstance(value, dict):
            raise RulesError(f"Failed to parse ACL rules: {word} takes an object of names")
        for name, body in value.items():
            policy = body.get("policy") if isinstance(body, dict) else None
            if not isinstance(policy, str):
                raise RulesError(f'Failed to parse ACL rules: {word} "{name}" needs a policy')
            rules.add(resource, name, policy, is_prefix)
    return rules


def parse_rules(text: str) -> PolicyRules:
    stripped = text.strip()
    if not stripped:
        return PolicyRules()
    if stripped.startswith("{"):
        try:
            return _parse_json(json.loads(stripped))
        except json.JSONDecodeError as exc:
            raise RulesError(f"Failed to parse ACL rules: {exc}") from None
    return _parse_hcl(stripped)
