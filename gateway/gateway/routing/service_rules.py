"""A service's traffic rules as the request path reads them: policy plus version groups.

Built once per routing view. Per request, ``candidates(headers)`` returns the instance tuple to
balance over (a tuple precomputed here, so the balancers' per-tuple caches hit):

- ``X-Version: v2`` pins version ``v2`` (an empty tuple if it has no instance: 503), when the
  service has versioned instances at all (else the header is ignored, as for plain services);
- else, with a split, a version is drawn by its share, or, with stickiness, chosen by a CRC32
  of the sticky header's or cookie's value (the same value → the same version on every gateway
  process, as long as the split does not change);
- else every instance.
"""

from __future__ import annotations

import random
import zlib
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..discovery.instance import Instance
from ..policy import ServicePolicy

__all__ = ["VERSION_HEADER", "ServiceRules", "instance_version", "seed_version_choice"]

VERSION_HEADER = b"x-version"
VERSION_KEY = "version"

_rng = random.Random()


def seed_version_choice(seed: int) -> None:
    """Make the split's random draws reproducible (``BALANCER_SEED``, tests)."""
    _rng.seed(seed)


def instance_version(inst: Instance) -> str | None:
    """``version:<v>`` / ``version=<v>`` tag, else meta ``version``."""
    return inst.tag_value(VERSION_KEY) or inst.meta.get(VERSION_KEY) or None


def _cookie(header: bytes, name: bytes) -> bytes | None:
    for part in header.split(b";"):
        key, eq, value = part.strip().partition(b"=")
        if eq and key == name:
            return value
    return None


@dataclass(frozen=True, slots=True)
class ServiceRules:
    service: str
    policy: ServicePolicy
    instances: tuple[Instance, ...]
    versions: Mapping[str, tuple[Instance, ...]] = field(default_factory=lambda: MappingProxyType({}))
    split: tuple[str, ...] = ()  # versions with a share > 0, in declaration order
    split_cumulative: tuple[int, ...] = ()
    _sticky_name: bytes = b""
    _sticky_cookie: bool = False

    @classmethod
    def build(cls, service: str, policy: ServicePolicy, instances: tuple[Instance, ...]) -> ServiceRules:
        groups: dict[str, list[Instance]] = {}
        for inst in instances:
            version = instance_version(inst)
            if version:
                groups.setdefault(version, []).append(inst)
        split = tuple(v for v, w in policy.split if w > 0)
        cumulative: list[int] = []
        total = 0
        for _v, w in policy.split:
            if w > 0:
                total += w
                cumulative.append(total)
        sticky = policy.sticky
        return cls(
            service=service,
            policy=policy,
            instances=instances,
            versions=MappingProxyType({v: tuple(g) for v, g in sorted(groups.items())}),
            split=split,
            split_cumulative=tuple(cumulative),
            _sticky_name=sticky.name.encode("latin-1") if sticky else b"",
            _sticky_cookie=bool(sticky and sticky.kind == "cookie"),
        )

    def pick_version(self, sticky_value: bytes | None) -> str:
        """A version of the split: by hash of ``sticky_value`` if given, else at random by share."""
        cumulative = self.split_cumulative
        total = cumulative[-1]
        point = (zlib.crc32(sticky_value) % total) if sticky_value is not None else _rng.random() * total
        return self.split[bisect_right(cumulative, point)]

    def candidates(self, headers: Sequence[tuple[bytes, bytes]]) -> tuple[tuple[Instance, ...], str | None]:
        """Instances to balance over for a request with these (lower-case ASGI) headers, and the
        version chosen (None: no version rule applied)."""
        pinned: bytes | None = None
        sticky_value: bytes | None = None
        wanted = self._sticky_name
        cookie = self._sticky_cookie
        for name, value in headers:
            if name == VERSION_HEADER:
                pinned = value
            elif wanted:
                if cookie:
                    if name == b"cookie" and sticky_value is None:
                        sticky_value = _cookie(value, wanted)
                elif name == wanted:
                    sticky_value = value
        if pinned is not None and self.versions:  # a service without versions ignores the header
            version = pinned.decode("latin-1").strip()
            return self.versions.get(version, ()), version
        if self.split:
            version = self.pick_version(sticky_value)
            return self.versions.get(version, ()), version
        return self.instances, None

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.to_dict(),
            "versions": {v: [i.id for i in insts] for v, insts in self.versions.items()},
        }
