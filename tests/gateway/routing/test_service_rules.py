from __future__ import annotations

import random
from types import MappingProxyType

from gateway.discovery import Instance
from gateway.policy import ServicePolicy, Stickiness
from gateway.routing import ServiceRules, seed_version_choice


def inst(n: int, version: str) -> Instance:
    return Instance(
        "m", f"m-{n}", "127.0.0.1", 9000 + n, tags=(f"version:{version}",), meta=MappingProxyType({})
    )


INSTANCES = (inst(1, "v1"), inst(2, "v1"), inst(3, "v2"))


def test_pin_by_header() -> None:
    rules = ServiceRules.build("m", ServicePolicy(), INSTANCES)
    assert rules.candidates([(b"x-version", b"v2")]) == ((INSTANCES[2],), "v2")
    assert rules.candidates([(b"x-version", b"v9")]) == ((), "v9")
    assert rules.candidates([]) == (INSTANCES, None)


def test_split_shares(monkeypatch: object) -> None:
    seed_version_choice(7)
    rules = ServiceRules.build("m", ServicePolicy(split=(("v1", 90), ("v2", 10))), INSTANCES)
    counts = {"v1": 0, "v2": 0}
    for _ in range(10_000):
        _, version = rules.candidates([])
        counts[version] += 1  # type: ignore[index]
    # chi-square, 1 degree of freedom, p = 0.001 → 10.83
    chi2 = (counts["v1"] - 9000) ** 2 / 9000 + (counts["v2"] - 1000) ** 2 / 1000
    assert chi2 < 10.83, counts
    assert rules.candidates([(b"x-version", b"v2")])[1] == "v2"  # the header wins over the split


def test_sticky_by_header_and_cookie() -> None:
    policy = ServicePolicy(split=(("v1", 50), ("v2", 50)), sticky=Stickiness("header", "x-user"))
    rules = ServiceRules.build("m", policy, INSTANCES)
    users = [f"user-{i}".encode() for i in range(200)]
    first = [rules.candidates([(b"x-user", u)])[1] for u in users]
    assert first == [rules.candidates([(b"x-user", u)])[1] for u in users]  # stable
    assert 60 < first.count("v1") < 140  # and spread
    cookie = ServiceRules.build(
        "m", ServicePolicy(split=policy.split, sticky=Stickiness("cookie", "sid")), INSTANCES
    )
    one = cookie.candidates([(b"cookie", b"a=1; sid=abc; b=2")])[1]
    assert all(cookie.candidates([(b"cookie", b"sid=abc")])[1] == one for _ in range(20))
    random.seed(1)


def test_header_ignored_without_versions() -> None:
    plain = (Instance("p", "p-1", "127.0.0.1", 9001),)
    rules = ServiceRules.build("p", ServicePolicy(max_in_flight=3), plain)
    assert rules.candidates([(b"x-version", b"v2")]) == (plain, None)
