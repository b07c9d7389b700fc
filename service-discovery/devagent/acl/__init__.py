"""Consul's ACL system in dev mode: policies (HCL/JSON rules), tokens, and the authorizer."""

from __future__ import annotations

from .authorizer import ALLOW_ALL, Authorizer, PermissionDenied
from .rules import PolicyRules, RulesError, parse_rules
from .store import ANONYMOUS_ACCESSOR, MANAGEMENT_POLICY_ID, ACLStore, Policy, Token

__all__ = [
    "ALLOW_ALL",
    "ANONYMOUS_ACCESSOR",
    "ACLStore",
    "Authorizer",
    "MANAGEMENT_POLICY_ID",
    "PermissionDenied",
    "Policy",
    "PolicyRules",
    "RulesError",
    "Token",
    "parse_rules",
]
