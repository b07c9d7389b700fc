"""A service's traffic policy: version split, limits, timeouts and retry rules.

Declared as Consul service meta ``gateway-<key>`` (Consul allows no dots in meta keys; ``-``
and ``_`` are interchangeable), as a tag ``gateway.<key>=<value>`` (meta wins), or by an
operator as a KV policy (a JSON object ``{"<key>": value}``; KV wins over both):

| key | example | meaning |
|---|---|---|
| ``split`` | ``v1:90,v2:10`` | share of requests per version (instances tagged ``version:<v>``) |
| ``sticky`` | ``header:X-User`` / ``cookie:session`` | same value → same version (hash) |
| ``rate`` | ``10`` / ``10/s`` / ``600/m`` | token-bucket refill, requests per second → 429 |
| ``burst`` | ``20`` | bucket size (default: the rate rounded up, at least 1) |
| ``max_in_flight`` | ``50`` | requests in flight to the service from this gateway → 503 |
| ``timeout`` | ``2s`` | per try (Go duration) |
| ``total_timeout`` | ``5s`` | for the whole request, tries included → 504 |
| ``retry_attempts`` | ``3`` | tries, each on another instance |
| ``retry_methods`` | ``GET,PUT`` | methods retried on a retry status |
| ``retry_statuses`` | ``502,503`` | upstream answers retried on another instance |

Each bad value is one ``PolicyError`` and that key is ignored; the rest of the policy applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servicekit import parse_go_duration

from .errors import PolicyError

__all__ = ["POLICY_KEYS", "RateLimit", "ServicePolicy", "Stickiness", "parse_policy"]

POLICY_KEYS = (
    "split",
    "sticky",
    "rate",
    "burst",
    "max_in_flight",
    "timeout",
    "total_timeout",
    "retry_attempts",
    "retry_methods",
    "retry_statuses",
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
_MAX_VERSIONS = 32
_MAX_TIMEOUT = 3600.0


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate: float  # tokens (requests) per second
    burst: int


@dataclass(frozen=True, slots=True)
class Stickiness:
    """Hash this request header's (or cookie's) value to choose the version."""

    kind: str  # "header" | "cookie"
    name: str  # header names lower-case


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    split: tuple[tuple[str, int], ...] = ()
    sticky: Stickiness | None = None
    rate: RateLimit | None = None
    max_in_flight: int | None = None
    timeout: float | None = None
    total_timeout: float | None = None
    retry_attempts: int | None = None
    retry_methods: frozenset[str] | None = None
    retry_statuses: frozenset[int] | None = None

    @property
    def is_default(self) -> bool:
        return self == _DEFAULT

    @property
    def limited(self) -> bool:
        """Admission limits apply (a rate or an in-flight cap), as ``Route.limited``."""
        return self.rate is not None or self.max_in_flight is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.split:
            out["split"] = {v: w for v, w in self.split}
        if self.sticky:
            out["sticky"] = f"{self.sticky.kind}:{self.sticky.name}"
        if self.rate:
            out["rate"] = self.rate.rate
            out["burst"] = self.rate.burst
        for key in ("max_in_flight", "timeout", "total_timeout", "retry_attempts"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.retry_methods is not None:
            out["retry_methods"] = sorted(self.retry_methods)
        if self.retry_statuses is not None:
            out["retry_statuses"] = sorted(self.retry_statuses)
        return out


_DEFAULT = ServicePolicy()


def _as_text(value: Any) -> str:
    """KV policies are JSON: lists become ``a,b``, objects ``k:v,...``, numbers their text."""
    if isinstance(value, bool):
        raise ValueError("expected a number or a string, not a boolean")
    if isinstance(value, list):
        return ",".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_as_text(v)}" for k, v in value.items())
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ValueError(f"unsupported value {value!r}")


def _positive_int(text: str, upper: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None
    if not 1 <= value <= upper:
        raise ValueError(f"{value} is out of range 1..{upper}")
    return value


def _rate(text: str) -> float:
    number, slash, unit = text.strip().partition("/")
    per = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}.get(unit.strip() if slash else "")
    if per is None:
        raise ValueError(f"{text!r}: unit must be /s, /m or /h")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of requests") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r} must be a positive number of requests")
    return value / per


def _duration(text: str) -> float:
    value = parse_go_duration(text)
    if not 0 < value <= _MAX_TIMEOUT:
        raise ValueError(f"{text!r} must be between 0 and {_MAX_TIMEOUT:.0f}s")
    return value


def _split(text: str) -> tuple[tuple[str, int], ...]:
    out: list[tuple[str, int]] = []
    for part in text.split(","):
        version, colon, weight = part.strip().partition(":")
        version = version.strip()
        if not colon or not version:
            raise ValueError(f"{part.strip()!r}: expected version:weight")
        try:
            share = int(weight)
        except ValueError:
            raise ValueError(f"{part.strip()!r}: weight must be an integer") from None
        if share < 0:
            raise ValueError(f"{part.strip()!r}: weight must not be negative")
        if any(v == version for v, _ in out):
            raise ValueError(f"version {version!r} appears twice")
        out.append((version, share))
    if len(out) > _MAX_VERSIONS:
        raise ValueError(f"more than {_MAX_VERSIONS} versions")
    if sum(w for _, w in out) <= 0:
        raise ValueError("the weights add up to 0")
    return tuple(out)


def _sticky(text: str) -> Stickiness:
    kind, colon, name = text.strip().partition(":")
    name = name.strip()
    if kind not in ("header", "cookie") or not colon or not name or not name.isascii() or " " in name:
        raise ValueError(f"{text!r}: expected header:<Name> or cookie:<name>")
    return Stickiness(kind, name.lower() if kind == "header" else name)


def _methods(text: str) -> frozenset[str]:
    methods = frozenset(m.strip().upper() for m in text.split(",") if m.strip())
    unknown = methods - _METHODS
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}")
    return methods


def _statuses(text: str) -> frozenset[int]:
    out = set()
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            code = int(part)
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not a status code") from None
        if not 400 <= code <= 599:
            raise ValueError(f"{code} is not a 4xx/5xx status")
        out.add(code)
    return frozenset(out)


def parse_policy(
    service: str, declared: Mapping[str, tuple[str, Any]]
) -> tuple[ServicePolicy, list[PolicyError]]:
    """``declared``: key → (source, raw value), already merged by precedence (kv > meta > tag)."""
    errors: list[PolicyError] = []
    values: dict[str, Any] = {}
    parsers: dict[str, Any] = {
        "split": _split,
        "sticky": _sticky,
        "rate": _rate,
        "burst": lambda t: _positive_int(t, 1_000_000),
        "max_in_flight": lambda t: _positive_int(t, 1_000_000),
        "timeout": _duration,
        "total_timeout": _duration,
        "retry_attempts": lambda t: _positive_int(t, 10),
        "retry_methods": _methods,
        "retry_statuses": _statuses,
    }
    for key, (source, raw) in sorted(declared.items()):
        parser = parsers.get(key)
        if parser is None:
            errors.append(
                PolicyError(service, source, key, f"unknown key (expected one of {', '.join(POLICY_KEYS)})")
            )
            continue
        try:
            values[key] = parser(_as_text(raw))
        except ValueError as exc:
            errors.append(PolicyError(service, source, key, str(exc)))
    rate = values.pop("rate", None)
    burst = values.pop("burst", None)
    if burst is not None and rate is None:
        errors.append(PolicyError(service, declared["burst"][0], "burst", "ignored without a rate"))
    limit = RateLimit(rate, burst if burst is not None else max(1, math.ceil(rate))) if rate else None
    return ServicePolicy(rate=limit, **values), errors
