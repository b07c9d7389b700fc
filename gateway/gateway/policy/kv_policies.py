"""Operators' policies from Consul KV: one JSON object per service at ``<prefix>policies/<service>``.

    consul kv put consul-gateway/policies/gdp-growth-model '{"split": "v1:90,v2:10", "rate": 50}'

Keys are the same as in service meta (``split``, ``rate``, ``max_in_flight``, ...; see
``service_policy``) and win over meta and tags. Read through ``consul_client.PrefixWatch`` (a
blocking query on the prefix: a change is applied within one round trip). A value that is not a
JSON object, or a key with a slash after the service name, is one ``PolicyError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..consul_client import KVEntry
from .errors import PolicyError

__all__ = ["POLICIES_DIR", "parse_kv_policies"]

POLICIES_DIR = "policies/"
_MAX_VALUE = 64 * 1024


def parse_kv_policies(
    prefix: str, entries: tuple[KVEntry, ...]
) -> tuple[dict[str, Mapping[str, Any]], list[PolicyError]]:
    """``prefix``: the full ``<kv prefix>policies/``. Returns service → raw policy, errors."""
    policies: dict[str, Mapping[str, Any]] = {}
    errors: list[PolicyError] = []
    for entry in entries:
        service = entry.key[len(prefix) :] if entry.key.startswith(prefix) else ""
        if not service:
            continue  # the folder itself
        if "/" in service:
            errors.append(
                PolicyError(service, "kv", entry.key, "expected <prefix>policies/<service>, no deeper keys")
            )
            continue
        if len(entry.value) > _MAX_VALUE:
            errors.append(PolicyError(service, "kv", entry.key, f"value larger than {_MAX_VALUE} bytes"))
            continue
        try:
            value = json.loads(entry.value or b"{}")
        except ValueError as exc:
            errors.append(PolicyError(service, "kv", entry.key, f"not JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            errors.append(PolicyError(service, "kv", entry.key, "expected a JSON object of policy keys"))
            continue
        policies[service] = value
    return policies, errors
