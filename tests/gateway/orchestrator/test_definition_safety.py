"""Flow definitions are validated before anything runs (issue #10, items 6 and 7).

CR/LF or non-latin-1 text in a node's endpoint or headers (once written verbatim into the
upstream request) and literal hosts that reach metadata services, link-local addresses, the
Consul agent or the gateway itself are refused with the node and the field named; other
literal hosts need the ``GATEWAY_FLOW_HOSTS`` allowlist; service names stay the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.orchestrator import host_policy
from gateway.orchestrator.definition import FlowDefinition
from gateway.orchestrator.host_policy import HostPolicy


@pytest.fixture(autouse=True)
def policy() -> Iterator[None]:
    before = host_policy.current_host_policy()
    host_policy.set_host_policy(
        HostPolicy.build(
            ["10.0.0.0/8", "api.example.com", "*.partner.example", "127.0.0.1"],
            consul_url="http://127.0.0.1:8500",
            own_endpoints=[("0.0.0.0", 8000)],
        )
    )
    yield
    host_policy.set_host_policy(before)


def _refused(node: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        FlowDefinition.model_validate({"nodes": {"evil": node}})
    error = info.value.errors()[0]
    loc = ".".join(str(p) for p in error["loc"])
    assert loc.startswith("nodes.evil"), loc
    return f"{loc}: {error['msg']}"


@pytest.mark.parametrize(
    ("node", "field"),
    [
        ({"endpoint": "/x HTTP/1.1\r\nHost: a\r\n\r\nGET /admin"}, "endpoint"),
        ({"endpoint": "/x\n"}, "endpoint"),
        ({"endpoint": "/ünïcode"}, "endpoint"),
        ({"endpoint": "/a b"}, "endpoint"),
        ({"headers": {"x-a": "1\r\nX-Injected: 1"}}, "headers"),
        ({"headers": {"x-a\r\n": "1"}}, "headers"),
        ({"headers": {"x-a": "snowman ☃"}}, "headers"),
        ({"headers": {"bad name": "1"}}, "headers"),
    ],
)
def test_line_breaks_and_non_latin1_refused(node: dict[str, Any], field: str) -> None:
    assert f"nodes.evil.{field}" in _refused(node)


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "2852039166",  # 169.254.169.254 as one number
        "0xA9FEA9FE",
        "169.254.43518",
        "metadata.google.internal",
        "METADATA.GOOGLE.INTERNAL.",
        "100.100.100.200",
        "fe80::1",
        "[fd00:ec2::254]",
        "0.0.0.0",
    ],
)
def test_metadata_and_link_local_refused_even_if_allowed(host: str) -> None:
    host_policy.set_host_policy(HostPolicy.build(["*"]))
    assert "host" in _refused({"host": host, "port": 80})


@pytest.mark.parametrize(
    ("host", "port"),
    [("127.0.0.1", 8500), ("localhost", 8500), ("127.0.0.1", 8000), ("localhost", 8000), ("::1", 8000)],
)
def test_consul_and_the_gateway_itself_refused(host: str, port: int) -> None:
    assert "Consul agent or the gateway itself" in _refused({"host": host, "port": port})


@pytest.mark.parametrize("host", ["192.168.1.10", "evil.example.com", "partner.example.evil"])
def test_other_literal_hosts_need_the_allowlist(host: str) -> None:
    assert "GATEWAY_FLOW_HOSTS" in _refused({"host": host, "port": 80})


@pytest.mark.parametrize(
    "node",
    [
        {"service": "echo-service", "endpoint": "/echo", "headers": {"x-tenant": "a b\tc"}},
        {"host": "10.1.2.3", "port": 8080},
        {"host": "api.example.com", "port": 443, "protocol": "https"},
        {"host": "eu.partner.example", "port": 80},
        {"host": "127.0.0.1", "port": 9001, "endpoint": "/v1/x%20y?q=1"},
    ],
)
def test_services_and_allowed_hosts_pass(node: dict[str, Any]) -> None:
    FlowDefinition.model_validate({"nodes": {"ok": node}})


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("/srv/app/gateway/flows/echo.yaml", "file:echo.yaml"),
        ("flows/x.json", "file:x.json"),
        ("api:x", "api:x"),
        ("kv:flows/x", "kv:flows/x"),
    ],
)
def test_flow_sources_shown_without_paths(source: str, shown: str) -> None:
    from gateway.orchestrator.routes import public_source

    assert public_source(source) == shown
