"""Flow files: loading, and validation errors that name the file and the node."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.orchestrator import FlowDefinitionError, host_policy
from gateway.orchestrator.extension import FlowsExtension
from gateway.orchestrator.loader import load_dir, load_file
from gateway.orchestrator.settings import SHIPPED_FLOWS_DIR, FlowSettings


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_echo_flow_loads_with_its_endpoint() -> None:
    flows = {f.name: f for f in load_dir(SHIPPED_FLOWS_DIR)}
    echo = flows["echo"]
    assert echo.endpoint == "/process"
    (svc,) = echo.orchestrator.services.values()
    assert (svc.service, svc.endpoint, svc.host, svc.is_direct) == ("echo-service", "/echo", None, False)


def test_extension_defaults_to_the_shipped_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_FLOWS_DIR", raising=False)
    ext = FlowsExtension(None, FlowSettings())
    assert "echo" in ext.registry.names()


def test_json_files_load_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_policy, "_policy", host_policy.HostPolicy(allowed=("127.0.0.1",)))
    path = write(tmp_path, "j.json", '{"endpoint": "/j", "nodes": {"n": {"host": "127.0.0.1", "port": 9}}}')
    flow = load_file(path)
    assert (flow.name, flow.endpoint) == ("j", "/j")
    assert flow.orchestrator.services["n/MicroService"].is_direct


@pytest.mark.parametrize(
    ("text", "node", "reason"),
    [
        (
            "nodes:\n  a: {}\n  b: {}\nflow:\n  - {service: a, next: [b]}\n  - {service: b, next: [a]}\n",
            "b",
            "cycle",
        ),
        ("nodes:\n  a: {}\nflow:\n  - {service: a, next: [ghost]}\n", "ghost", "unknown service 'ghost'"),
        (
            "nodes:\n  a: {}\n  b: {}\n  lonely: {}\nflow:\n  - {service: a, next: [b]}\n",
            "lonely",
            "unreachable",
        ),
        (
            "nodes:\n  a: {}\n  b: {}\nflow:\n"
            "  - {service: a, next: [{service: b, condition: 'output.x >>'}]}\n",
            "a",
            "bad condition on edge to 'b'",
        ),
        (
            "nodes:\n  a: {}\n  b: {}\nflow:\n"
            "  - {service: a, next: [{service: b, condition: 'os.system(1)'}]}\n",
            "a",
            "unknown name 'os'",
        ),
        ("nodes:\n  a: {port: 99999, host: x}\n", "a", "nodes.a.port"),
        ("nodes:\n  a: {tiemout: 3}\n", "a", "nodes.a.tiemout"),
        ("nodes:\n  a: {port: 80}\n", "a", "'port' given without 'host'"),
        ("nodes:\n  a: {}\n  b: {}\nflow:\n  - {service: a, next: [b], retries: -1}\n", "a", "retries"),
        (
            "nodes:\n  a: {}\n  b: {}\nflow:\n  - {service: a, next: [{service: b, condition: retry}]}\n"
            "  - {service: b, next: [a]}\n",
            "b",
            "retry target",
        ),
    ],
)
def test_invalid_flows_name_file_and_node(tmp_path: Path, text: str, node: str, reason: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(FlowDefinitionError) as info:
        load_file(path)
    err = info.value
    assert err.source == str(path)
    assert err.node == node, str(err)
    assert reason in str(err)
    assert str(path) in str(err)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nodes: [a, b", "not valid YAML"),
        ("- just a list\n", "must be an object"),
        ("nodes: {}\n", "nodes"),
        ("endpoint: /v1/statistics\nnodes:\n  a: {}\n", "reserved"),
        ("endpoint: relative\nnodes:\n  a: {}\n", "literal path"),
        ("output: ghost\nnodes:\n  a: {}\n", "output names unknown node"),
    ],
)
def test_invalid_flow_documents(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, "doc.yaml", text)
    with pytest.raises(FlowDefinitionError, match=reason) as info:
        load_file(path)
    assert info.value.source == str(path)


def test_directory_rejects_duplicate_names_and_endpoints(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", "endpoint: /same\nnodes:\n  a: {}\n")
    write(tmp_path, "two.yaml", "endpoint: /same\nnodes:\n  a: {}\n")
    with pytest.raises(FlowDefinitionError, match="endpoint /same is also served by") as info:
        load_dir(tmp_path)
    assert info.value.source == str(tmp_path / "two.yaml")


def test_gateway_refuses_to_start_with_an_invalid_flow_file(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", "nodes:\n  a: {}\nflow:\n  - {service: a, next: [nowhere]}\n")
    with pytest.raises(FlowDefinitionError, match="broken.yaml: node 'nowhere'"):
        FlowsExtension(None, FlowSettings(gateway_flows_dir=tmp_path))
