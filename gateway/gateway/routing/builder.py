"""Builds the ``RouteTable`` from discovery's instances and the operators' KV policies.

Runs in the discovery task on every table swap (and on a KV policy change), never per request.
Work per service is remembered by the identity of its instance tuple and KV policy (discovery
keeps a service's tuple while it does not change), so one change rebuilds one service plus the
prefix dicts.

Precedence for a policy key: KV policy > service meta ``gateway-<key>`` (or ``gateway_<key>``;
Consul refuses dots in meta keys) > tag ``gateway.<key>=<value>``. ``-`` and ``_`` are the same
in keys (``gateway-max-in-flight`` = ``max_in_flight``). Instances of a service normally
agree; when their meta differ, the first instance (by id) wins and the disagreement is listed
as an error.

Route conflicts (the same host + prefix declared by several services) go to the service whose
name sorts first; the others are listed as errors. The same prefix with two ``strip`` values
within one service: the tag sorting first wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..discovery.instance import Instance
from ..policy import PolicyError, RouteDecl, ServicePolicy, parse_policy, parse_urlprefix
from .prefix_table import PrefixTable, Route
from .route_table import RouteTable
from .service_rules import ServiceRules

__all__ = ["META_PREFIXES", "TAG_PREFIX", "RouteTableBuilder"]

log = logging.getLogger("gateway.routing")

# Consul meta keys allow only letters, digits, '-' and '_' (a dotted key is refused with a
# 400), so meta says ``gateway-split`` / ``gateway_max_in_flight``; tags say ``gateway.split=``.
META_PREFIXES = ("gateway-", "gateway_")
TAG_PREFIX = "gateway."

_Memo = tuple[tuple[RouteDecl, ...], ServiceRules | None, tuple[PolicyError, ...]]


def _declared(
    service: str, instances: tuple[Instance, ...], kv: Mapping[str, Any] | None, errors: list[PolicyError]
) -> dict[str, tuple[str, Any]]:
    """Policy keys → (source, raw value), by precedence."""
    out: dict[str, tuple[str, Any]] = {}
    from_meta: dict[str, tuple[str, str]] = {}  # key → (value, instance id)
    from_tags: dict[str, str] = {}
    for inst in instances:
        for name, value in inst.meta.items():
            if name.startswith(META_PREFIXES):
                key = name[len(TAG_PREFIX) :].replace("-", "_")
                seen = from_meta.get(key)
                if seen is None:
                    from_meta[key] = (value, inst.id)
                elif seen[0] != value:
                    errors.append(
                        PolicyError(
                            service,
                            "meta",
                            key,
                            f"instances disagree ({inst.id}: {value!r}); using {seen[1]}'s {seen[0]!r}",
                        )
                    )
        for tag in inst.tags:
            if tag.startswith(TAG_PREFIX):
                key, eq, value = tag[len(TAG_PREFIX) :].partition("=")
                if eq:
                    from_tags.setdefault(key.replace("-", "_"), value)
                else:
                    errors.append(PolicyError(service, "tag", tag, "expected gateway.<key>=<value>"))
    for key, value in from_tags.items():
        out[key] = ("tag", value)
    for key, (value, _id) in from_meta.items():
        out[key] = ("meta", value)
    if kv:
        for key, value in kv.items():
            out[str(key)] = ("kv", value)
    return out


def _routes(
    service: str, instances: tuple[Instance, ...], reserved: frozenset[str], errors: list[PolicyError]
) -> tuple[RouteDecl, ...]:
    by_key: dict[str, RouteDecl] = {}
    bad: set[str] = set()
    for inst in instances:
        for tag in inst.tags:
            parsed = parse_urlprefix(tag)
            if parsed is None:
                continue
            if isinstance(parsed, str):
                if tag not in bad:
                    bad.add(tag)
                    errors.append(PolicyError(service, "tag", tag, parsed))
                continue
            segment = parsed.prefix[1:].partition("/")[0]
            if segment in reserved:
                if tag not in bad:
                    bad.add(tag)
                    errors.append(
                        PolicyError(service, "tag", tag, f"/{segment} belongs to the gateway's own routes")
                    )
                continue
            other = by_key.get(parsed.key)
            if other is None or parsed.tag < other.tag:
                if other is not None and other != parsed:
                    errors.append(
                        PolicyError(service, "tag", other.tag, f"conflicts with {parsed.tag!r}, which wins")
                    )
                by_key[parsed.key] = parsed
            elif other != parsed and parsed.tag != other.tag:
                errors.append(
                    PolicyError(service, "tag", parsed.tag, f"conflicts with {other.tag!r}, which wins")
                )
    return tuple(sorted(by_key.values(), key=lambda d: d.key))


def _check_split(
    service: str, policy: ServicePolicy, rules: ServiceRules, errors: list[PolicyError]
) -> ServicePolicy:
    unknown = [v for v, w in policy.split if w > 0 and v not in rules.versions]
    if not unknown:
        return policy
    known = ", ".join(rules.versions) or "none"
    errors.append(
        PolicyError(
            service, "policy", "split", f"unknown versions {unknown} (instances have: {known}); split ignored"
        )
    )
    return replace(policy, split=())


def build_service(
    service: str, instances: tuple[Instance, ...], kv: Mapping[str, Any] | None, reserved: frozenset[str]
) -> _Memo:
    """Routes, rules (None when the service has none) and errors of one service."""
    errors: list[PolicyError] = []
    decls = _routes(service, instances, reserved, errors)
    policy, policy_errors = parse_policy(service, _declared(service, instances, kv, errors))
    errors.extend(policy_errors)
    rules = ServiceRules.build(service, policy, instances)
    if policy.split:
        checked = _check_split(service, policy, rules, errors)
        if checked is not policy:
            rules = ServiceRules.build(service, checked, instances)
    keep = not rules.policy.is_default or bool(rules.versions)
    return decls, rules if keep else None, tuple(errors)


class RouteTableBuilder:
    """Keeps per-service results between builds; logs each new error once."""

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.reserved = reserved
        self._memo: dict[str, tuple[tuple[Instance, ...], Any, _Memo]] = {}
        self._logged: frozenset[PolicyError] = frozenset()

    def forget(self) -> None:
        """Drop remembered results (after ``reserved`` changed)."""
        self._memo = {}

    def build(
        self,
        services: Mapping[str, tuple[Instance, ...]],
        kv_policies: Mapping[str, Mapping[str, Any]] | None = None,
        extra_errors: tuple[PolicyError, ...] = (),
    ) -> RouteTable:
        """``extra_errors``: problems found before (unreadable KV policies), listed with the rest."""
        kv_policies = kv_policies or {}
        memo: dict[str, tuple[tuple[Instance, ...], Any, _Memo]] = {}
        claims: dict[str, list[tuple[str, RouteDecl]]] = {}
        rules: dict[str, ServiceRules] = {}
        errors: list[PolicyError] = list(extra_errors)
        for name in sorted(services):
            instances = services[name]
            kv = kv_policies.get(name)
            cached = self._memo.get(name)
            if cached is not None and cached[0] is instances and cached[1] is kv:
                result = cached[2]
            else:
                result = build_service(name, instances, kv, self.reserved)
            memo[name] = (instances, kv, result)
            decls, service_rules, service_errors = result
            for decl in decls:
                claims.setdefault(decl.key, []).append((name, decl))
            if service_rules is not None:
                rules[name] = service_rules
            errors.extend(service_errors)
        self._memo = memo
        routes = []
        for key, claimants in claims.items():
            winner, decl = claimants[0]  # services were visited in name order
            routes.append(
                Route(decl.host, decl.prefix, winner, decl.strip, decl.tag, decl.rate, decl.max_in_flight)
            )
            for loser, lost in claimants[1:]:
                errors.append(
                    PolicyError(loser, "tag", lost.tag, f"route {key} is already served by {winner!r}")
                )
        table = RouteTable(PrefixTable(routes), rules, tuple(errors), self.reserved)
        self._log_new(table.errors)
        return table

    def _log_new(self, errors: tuple[PolicyError, ...]) -> None:
        current = frozenset(errors)
        for error in errors:
            if error not in self._logged:
                log.warning("ignored declaration: %s", error)
        self._logged = current
