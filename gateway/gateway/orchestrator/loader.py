"""Load and validate declarative flows into ``ServiceOrchestrator`` objects.

Every problem is a ``FlowDefinitionError`` naming the source (file path or ``api``), the
node when there is one, and the reason: YAML/JSON syntax, schema (unknown fields, bad
types), unknown nodes in edges, cycles, nodes no edge reaches, bad conditions.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .constants import ServiceType
from .definition import FlowDefinition
from .errors import FlowDefinitionError
from .microservice import MicroService
from .orchestrator import ServiceOrchestrator

__all__ = ["LoadedFlow", "build_flow", "load_dir", "load_file", "parse_text"]

log = logging.getLogger("gateway.orchestrator")

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class LoadedFlow:
    name: str
    endpoint: str | None
    description: str
    source: str
    definition: dict[str, Any]
    orchestrator: ServiceOrchestrator


def parse_text(text: str, source: str) -> Any:
    try:
        if source.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise FlowDefinitionError(
            f"not valid {'JSON' if source.endswith('.json') else 'YAML'}: {exc}", source=source
        ) from exc


def _schema_error(exc: ValidationError, source: str) -> FlowDefinitionError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    node = loc[1] if len(loc) >= 2 and loc[0] == "nodes" else None
    where = ".".join(loc) or "flow"
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    return FlowDefinitionError(f"{where}: {first['msg']}{more}", source=source, node=node)


def build_flow(data: Any, *, source: str, default_name: str, default_timeout: float = 30.0) -> LoadedFlow:
    if not isinstance(data, dict):
        raise FlowDefinitionError(
            "a flow must be an object with 'nodes' (and optionally 'flow')", source=source
        )
    try:
        spec = FlowDefinition.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc, source) from exc
    name = spec.name or default_name
    orch = ServiceOrchestrator(name, reducer=spec.reducer, timeout=spec.timeout or default_timeout)
    for node_name, node in spec.nodes.items():
        if node.port is not None and node.host is None:
            raise FlowDefinitionError("'port' given without 'host'", source=source, node=node_name)
        orch.add(
            MicroService(
                node_name,
                host=node.host,
                port=node.port,
                endpoint=node.endpoint,
                protocol=node.protocol,
                use_remote_service=True,
                service_type=ServiceType[node.service_type],
                service=node.service or node_name,
                timeout=node.timeout,
                retries=node.retries,
                continue_on_error=node.continue_on_error,
                reducer=node.reducer,
                headers=node.headers,
            )
        )
    orch.set_flow(spec.flow, auto_add=False, source=source)
    _check_reachability(orch, source)
    if spec.output is not None:
        if spec.output not in spec.nodes:
            raise FlowDefinitionError(f"output names unknown node {spec.output!r}", source=source)
        orch.output_node = f"{spec.output}/MicroService"
    return LoadedFlow(name, spec.endpoint, spec.description, source, spec.model_dump(exclude_none=True), orch)


def _check_reachability(orch: ServiceOrchestrator, source: str) -> None:
    """In a multi-node flow every node must be on an edge; a lone node is a forgotten one."""
    if len(orch.services) < 2:
        return
    for key in orch.services:
        connected = (
            orch.graph[key]
            or orch.predecessors(key)
            or key in orch.standby_nodes
            or key in orch.retry_sources
        )
        if not connected:
            raise FlowDefinitionError(
                "unreachable: no edge leads to or from this node; add it to 'flow' or remove it",
                source=source,
                node=key.removesuffix("/MicroService"),
            )


def load_file(path: Path, default_timeout: float = 30.0) -> LoadedFlow:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowDefinitionError(f"cannot read: {exc}", source=source) from exc
    return build_flow(
        parse_text(text, source), source=source, default_name=path.stem, default_timeout=default_timeout
    )


def load_dir(directory: Path, default_timeout: float = 30.0) -> list[LoadedFlow]:
    """Every flow file of ``directory`` (sorted); names and endpoints must be unique."""
    if not directory.is_dir():
        raise FlowDefinitionError("flows directory does not exist", source=str(directory))
    flows: list[LoadedFlow] = []
    names: dict[str, str] = {}
    endpoints: dict[str, str] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        flow = load_file(path, default_timeout)
        if flow.name in names:
            raise FlowDefinitionError(
                f"flow name {flow.name!r} is also used by {names[flow.name]}", source=str(path)
            )
        if flow.endpoint and flow.endpoint in endpoints:
            raise FlowDefinitionError(
                f"endpoint {flow.endpoint} is also served by {endpoints[flow.endpoint]}", source=str(path)
            )
        names[flow.name] = str(path)
        if flow.endpoint:
            endpoints[flow.endpoint] = str(path)
        flows.append(flow)
        log.info("loaded flow %s from %s (endpoint %s)", flow.name, path, flow.endpoint or "-")
    return flows
