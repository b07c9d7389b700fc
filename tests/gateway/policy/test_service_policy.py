from __future__ import annotations

from typing import Any

import pytest

from gateway.policy import RateLimit, ServicePolicy, Stickiness, parse_policy


def _parse(**values: Any) -> tuple[ServicePolicy, list[str]]:
    policy, errors = parse_policy("svc", {k: ("meta", v) for k, v in values.items()})
    return policy, [f"{e.key}: {e.message}" for e in errors]


def test_empty_is_default() -> None:
    policy, errors = _parse()
    assert policy.is_default and errors == []


def test_every_key() -> None:
    policy, errors = _parse(
        split="v1:90, v2:10",
        sticky="header:X-User",
        rate="600/m",
        burst="5",
        max_in_flight="3",
        timeout="250ms",
        total_timeout="2s",
        retry_attempts="2",
        retry_methods="get,put",
        retry_statuses="502,503",
    )
    assert errors == []
    assert policy.split == (("v1", 90), ("v2", 10))
    assert policy.sticky == Stickiness("header", "x-user")
    assert policy.rate == RateLimit(10.0, 5)
    assert (policy.max_in_flight, policy.timeout, policy.total_timeout, policy.retry_attempts) == (
        3,
        0.25,
        2.0,
        2,
    )
    assert policy.retry_methods == {"GET", "PUT"} and policy.retry_statuses == {502, 503}
    assert policy.to_dict()["split"] == {"v1": 90, "v2": 10}


def test_burst_defaults_to_rate_rounded_up() -> None:
    assert _parse(rate="2.5")[0].rate == RateLimit(2.5, 3)
    assert _parse(rate="1/h")[0].rate == RateLimit(1 / 3600, 1)


def test_kv_json_values() -> None:
    policy, errors = parse_policy(
        "svc",
        {
            "split": ("kv", {"v1": 50, "v2": 50}),
            "rate": ("kv", 7),
            "retry_statuses": ("kv", [502, 504]),
        },
    )
    assert errors == []
    assert policy.split == (("v1", 50), ("v2", 50))
    assert policy.rate == RateLimit(7.0, 7)
    assert policy.retry_statuses == {502, 504}


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("rate", "-1", "positive"),
        ("rate", "10/d", "unit"),
        ("rate", "nan", "positive"),
        ("max_in_flight", "0", "out of range"),
        ("max_in_flight", "many", "not an integer"),
        ("timeout", "fast", "invalid duration"),
        ("timeout", "0s", "between"),
        ("split", "v1", "version:weight"),
        ("split", "v1:x", "integer"),
        ("split", "v1:-5,v2:10", "negative"),
        ("split", "v1:0", "add up to 0"),
        ("split", "v1:1,v1:2", "twice"),
        ("sticky", "ip:x", "header:<Name>"),
        ("retry_methods", "GET,FETCH", "unknown methods"),
        ("retry_statuses", "200", "4xx/5xx"),
        ("retry_attempts", "11", "out of range"),
        ("colour", "blue", "unknown key"),
    ],
)
def test_bad_value_is_one_error_and_ignored(key: str, value: str, why: str) -> None:
    policy, errors = _parse(**{"max_in_flight": "4", key: value})
    assert len(errors) == 1 and errors[0].startswith(f"{key}: ") and why in errors[0], errors
    if key != "max_in_flight":
        assert policy.max_in_flight == 4  # the rest of the policy still applies


def test_burst_without_rate() -> None:
    policy, errors = _parse(burst="3")
    assert policy.rate is None and errors == ["burst: ignored without a rate"]
