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


def _service(**overrides: Any) -> dict[str, Any]:
    """A service spec as the Swarm runtime creates it."""
    body: dict[str, Any] = {
        "Name": "s1-gdp-linearregression",
        "Labels": dict(LABELS),
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "consul-gateway/model-service:dev",
                "Labels": dict(LABELS),
                "Privileges": {"CredentialSpec": None, "SELinuxContext": None, "NoNewPrivileges": False},
            },
            "Networks": [{"Target": "s1-net"}],
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "EndpointSpec": {"Mode": "dnsrr"},
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("method", "path", "allowed", "service_target"),
    [
        ("GET", "/v1.41/services", True, None),
        ("GET", "/v1.41/services/abc", True, None),
        ("GET", "/v1.41/tasks", True, None),
        ("GET", "/v1.41/tasks/t1", True, None),
        ("GET", "/v1.41/nodes/n1", True, None),
        ("POST", "/v1.41/services/create", True, None),
        ("POST", "/v1.41/services/abc/update", True, "abc"),
        ("GET", "/v1.41/services/abc/logs", True, "abc"),
        ("DELETE", "/v1.41/services/abc", False, None),
        ("POST", "/v1.41/nodes/n1/update", False, None),
        ("POST", "/v1.41/swarm/leave", False, None),
        ("GET", "/v1.41/swarm", False, None),
        ("POST", "/v1.41/secrets/create", False, None),
        ("GET", "/v1.41/secrets", False, None),
    ],
)
def test_swarm_routes(method: str, path: str, allowed: bool, service_target: str | None) -> None:
    decision = POLICY.decide(method, path)
    assert decision.allowed is allowed
    assert decision.service_target == service_target


def test_service_body_checks() -> None:
    assert POLICY.check_service(_service()) is None
    # An update names the network by id (resolved by the server).
    by_id = _service(TaskTemplate={**_service()["TaskTemplate"], "Networks": [{"Target": "n1d"}]})
    assert POLICY.check_service(by_id, frozenset({"n1d"})) is None
    assert "network" in (POLICY.check_service(by_id) or "")

    def spec(**container: Any) -> dict[str, Any]:
        template = dict(_service()["TaskTemplate"])
        template["ContainerSpec"] = {**template["ContainerSpec"], **container}
        return _service(TaskTemplate=template)

    refused = {
        "image": spec(Image="alpine"),
        "labels": _service(Labels={}),
        "task containers": spec(Labels={}),
        "Mounts": spec(Mounts=[{"Type": "bind", "Source": "/", "Target": "/host"}]),
        "Secrets": spec(Secrets=[{"SecretID": "x"}]),
        "Privileges.Seccomp": spec(Privileges={"Seccomp": {"Mode": "unconfined"}}),
        "replicated": _service(Mode={"Global": {}}),
        "ports": _service(EndpointSpec={"Ports": [{"TargetPort": 22, "PublishedPort": 2222}]}),
        "twice": spec(image="alpine"),  # a second "Image" differing only by case
    }
    for why, body in refused.items():
        reason = POLICY.check_service(body)
        assert reason is not None and why.lower() in reason.lower(), (why, reason)
    # Keys are read case-insensitively, as the engine does: a lower-case "mounts" is still Mounts.
    lower = _service()
    lower["TaskTemplate"]["ContainerSpec"] = {
        "image": "consul-gateway/model-service:dev",
        "labels": dict(LABELS),
        "mounts": [{"Source": "/"}],
    }
    assert "Mounts" in (POLICY.check_service(lower) or "")


def test_create_keys_are_read_case_insensitively() -> None:
    """The engine decodes JSON keys case-insensitively: a lower-case "binds" is Binds."""
    assert "Binds" in (POLICY.check_create(_create(HostConfig={"binds": ["/:/host"]})) or "")
    assert "privileged" in (POLICY.check_create(_create(HostConfig={"PRIVILEGED": True})) or "")
    lower = {k.lower(): v for k, v in _create().items()}
    assert POLICY.check_create(lower) is None
    assert "twice" in (POLICY.check_create({**_create(), "image": "alpine"}) or "")
