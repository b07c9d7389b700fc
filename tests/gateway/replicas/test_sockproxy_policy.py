"""The Docker proxy's policy as a pure function (no engine)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.replicas.sockproxy import Policy

POLICY = Policy("s1", frozenset({"consul-gateway/model-service:dev"}), "s1-net")
LABELS = {
    "io.consul-gateway.managed": "true",
    "io.consul-gateway.stack": "s1",
    "io.consul-gateway.role": "replica",
}


def _create(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Image": "consul-gateway/model-service:dev",
        "Labels": dict(LABELS),
        "HostConfig": {"NetworkMode": "s1-net", "NanoCpus": 10**9},
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("method", "path", "allowed", "target"),
    [
        ("GET", "/v1.41/_ping", True, None),
        ("GET", "/v1.41/containers/json", True, None),
        ("GET", "/v1.41/images/consul-gateway/model-service:dev/json", True, None),
        ("POST", "/v1.41/containers/create", True, None),
        ("POST", "/v1.41/containers/abc/stop", True, "abc"),
        ("DELETE", "/v1.41/containers/abc", True, "abc"),
        ("POST", "/v1.41/containers/abc/exec", False, None),
        ("POST", "/v1.41/images/create", False, None),
        ("POST", "/v1.41/networks/n1/connect", False, None),
        ("DELETE", "/v1.41/images/x", False, None),
        ("POST", "/v1.41/build", False, None),
        ("GET", "/v1.41/containers/abc/archive", False, None),
    ],
)
def test_routes(method: str, path: str, allowed: bool, target: str | None) -> None:
    decision = POLICY.decide(method, path)
    assert decision.allowed is allowed
    assert decision.target == target
    if not allowed:
        assert path.split("/", 2)[2] in decision.reason


def test_create_body_checks() -> None:
    assert POLICY.check_create(_create()) is None
    assert "image" in (POLICY.check_create(_create(Image="alpine")) or "")
    assert "labels" in (POLICY.check_create(_create(Labels={})) or "")
    assert "privileged" in (POLICY.check_create(_create(HostConfig={"Privileged": True})) or "")
    assert "Binds" in (POLICY.check_create(_create(HostConfig={"Binds": ["/:/host"]})) or "")
    assert "PidMode" in (POLICY.check_create(_create(HostConfig={"PidMode": "host"})) or "")
    assert "network" in (POLICY.check_create(_create(HostConfig={"NetworkMode": "bridge"})) or "")
    assert POLICY.check_create(["not", "an", "object"]) is not None
