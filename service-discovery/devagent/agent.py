"""The agent: service/check registration semantics on top of the catalog (contract §2, §3)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from .acl import ACLStore
from .catalog import Catalog
from .checks import truncate_output
from .config import CONSUL_VERSION, AgentConfig
from .errors import ApiError
from .kvstore import KVStore
from .mesh import CONNECT_PROXY, sidecar_registration, validate_kind
from .metrics import AgentMetrics
from .model import CRITICAL, PASSING, Check, NodeInfo, Service
from .monitor import CheckMonitor
from .sessions import SessionStore
from .validation import (
    check_type_name,
    default_tagged_addresses,
    validate_check_type,
    validate_meta,
    validate_status,
    validate_weights,
)
from .watch import WatchHub

__all__ = ["Agent"]

log = logging.getLogger("devagent.agent")

SERVICE_MAINT_PREFIX = "_service_maintenance:"
NODE_MAINT_ID = "_node_maintenance"
DEFAULT_SERVICE_MAINT = (
    "Maintenance mode is enabled for this service, but no reason was provided. This is a default message."
)
DEFAULT_NODE_MAINT = (
    "Maintenance mode is enabled for this node, but no reason was provided. This is a default message."
)
_SCRIPTS_DISABLED = (
    "Scripts are disabled on this agent from remote calls; "
    "to enable, configure 'enable_script_checks' to true"
)
_IDENTITY_FIELDS = ("CheckID", "ID", "Name", "Status", "Notes", "ServiceID", "Token")


def unknown_service(service_id: str) -> ApiError:
    return ApiError(
        404, f'Unknown service ID "{service_id}". Ensure that the service ID is passed, not the service name.'
    )


def unknown_check(check_id: str) -> ApiError:
    return ApiError(
        404, f'Unknown check ID "{check_id}". Ensure that the check ID is passed, not the check name.'
    )


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.hub = WatchHub()
        node = NodeInfo(
            name=config.node_name,
            node_id=str(uuid.uuid4()),
            address=config.advertise_addr,
            datacenter=config.datacenter,
            meta={"consul-network-segment": "", "consul-version": CONSUL_VERSION},
        )
        self.catalog = Catalog(node, self.hub)
        self.kv = KVStore(self.hub, self.catalog.next_index)
        self.sessions = SessionStore(
            self.hub, self.catalog, self.kv, lambda: int(self.config.session_ttl_min * 1e9)
        )
        self.kv.session_exists = lambda sid: sid in self.sessions.sessions
        # IDs registered through the agent API (the `consul` service and serfHealth are catalog-only).
        self.local_services: set[str] = set()
        self.local_checks: set[str] = set()
        self.metrics = AgentMetrics()
        self.acl: ACLStore | None = None
        if config.acl_enabled:
            self.acl = ACLStore(
                self.catalog.next_index,
                default_allow=config.acl_default_policy == "allow",
                datacenter=config.datacenter,
                initial_management_token=config.acl_initial_management_token,
            )
        self.on_leave: Callable[[], None] | None = None  # set by the CLI: stop the server
        self.sidecars: dict[str, str] = {}  # parent service ID → its <id>-sidecar-proxy registration
        self.monitor = CheckMonitor(config, self.catalog, self._remove_service_quietly, self.local_checks)
        self._bootstrap()

    def _bootstrap(self) -> None:
        node = self.catalog.node
        idx = self.catalog.next_index()
        node.create_index = node.modify_index = idx
        self.catalog.nodes_table = idx
        serf = Check(
            check_id="serfHealth",
            name="Serf Health Status",
            status=PASSING,
            output="Agent alive and reachable",
            cat_status=PASSING,
            cat_output="Agent alive and reachable",
        )
        self.catalog.put_check(serf)
        consul = Service(
            id="consul",
            name="consul",
            port=8300,
            meta={
                "grpc_port": "8502",
                "non_voter": "false",
                "raft_version": "3",
                "read_replica": "false",
                "serf_protocol_current": "2",
                "serf_protocol_max": "5",
                "serf_protocol_min": "1",
                "version": CONSUL_VERSION,
            },
        )
        self.catalog.put_service(consul)

    async def start(self) -> None:
        self.monitor.start()

    async def close(self) -> None:
        await self.monitor.close()
        await self.sessions.close()

    # -- services ------------------------------------------------------------------------------
    def register_service(self, body: dict[str, Any], replace_existing_checks: bool) -> None:
        name = body.get("Name", "")
        if not name:
            raise ApiError(400, "Missing service name")
        address = body.get("Address", "")
        if address in ("0.0.0.0", "::", "[::]"):
            raise ApiError(400, "Invalid service address")
        weights = {"Passing": 1, "Warning": 1}
        if "Weights" in body:
            weights = {
                "Passing": body["Weights"].get("Passing", 0),
                "Warning": body["Weights"].get("Warning", 0),
            }
            validate_weights(weights)
        meta = body.get("Meta", {})
        validate_meta(meta)
        check_types: list[dict[str, Any]] = []
        if body.get("Check"):
            check_types.append(body["Check"])
        check_types.extend(body.get("Checks", []))
        for ct in check_types:
            problem = validate_check_type(ct)
            if problem:
                raise ApiError(400, f"Invalid check: {problem}")
        for ct in check_types:
            if ct.get("Status") and not validate_status(ct["Status"]):
                raise ApiError(400, "Status for checks must 'passing', 'warning', 'critical'")
        for ct in check_types:
            self._check_supported(check_type_name(ct))
        validate_kind(body)
        sidecar = sidecar_registration(body, self._sidecar_ports())
        service_id = body.get("ID") or name
        port = body.get("Port", 0)
        svc = Service(
            id=service_id,
            name=name,
            tags=list(body.get("Tags", [])),
            address=address,
            tagged_addresses=default_tagged_addresses(address, port, body.get("TaggedAddresses", {})),
            port=port,
            socket_path=body.get("SocketPath", ""),
            meta=dict(meta),
            kind=body.get("Kind", ""),
            weights=weights,
            enable_tag_override=body.get("EnableTagOverride", False),
            proxy=body.get("Proxy"),
            connect=body.get("Connect"),
            locality=body.get("Locality"),
        )
        self.catalog.put_service(svc)
        self.local_services.add(service_id)
        new_ids: set[str] = set()
        for i, ct in enumerate(check_types):
            check_id = ct.get("CheckID") or f"service:{service_id}"
            if not ct.get("CheckID") and len(check_types) > 1:
                check_id = f"service:{service_id}:{i + 1}"
            new_ids.add(check_id)
            check = self._build_check(
                check_id,
                ct.get("Name") or f"Service '{name}' check",
                ct,
                service_id,
                name,
                ct.get("Notes", ""),
            )
            self._install_check(check, ct.get("Status", ""))
        if replace_existing_checks:
            for check in self.catalog.checks_of(service_id):
                if check.check_id not in new_ids:
                    self._remove_check(check.check_id)
        if sidecar is not None:
            self.register_service(sidecar, replace_existing_checks)
            self.sidecars[service_id] = sidecar["ID"]

    def _sidecar_ports(self) -> set[int]:
        return {s.port for s in self.catalog.services.values() if s.kind == CONNECT_PROXY}

    def _check_supported(self, type_name: str) -> None:
        if type_name == "script" and not self.config.enable_script_checks:
            raise ApiError(500, _SCRIPTS_DISABLED)
        if type_name not in ("http", "tcp", "udp", "ttl", "script", "alias"):
            raise ApiError(400, f"Invalid check: {type_name} checks are not supported by this dev agent")

    def _build_check(
        self, check_id: str, name: str, ct: dict[str, Any], service_id: str, service_name: str, notes: str
    ) -> Check:
        definition = {k: v for k, v in ct.items() if k not in _IDENTITY_FIELDS}
        return Check(
            check_id=check_id,
            name=name,
            type=check_type_name(ct),
            notes=notes,
            service_id=service_id,
            service_name=service_name,
            interval_ns=ct.get("Interval", 0),
            timeout_ns=ct.get("Timeout", 0),
            ttl_ns=ct.get("TTL", 0),
            deregister_after_ns=ct.get("DeregisterCriticalServiceAfter", 0),
            definition=definition,
        )

    def _install_check(self, check: Check, initial_status: str) -> None:
        """Add or replace a check; an existing check's Status/Output survive (no flapping)."""
        old = self.catalog.checks.get(check.check_id)
        if old is not None:
            self.monitor.stop(old)
            check.status, check.output = old.status, old.output
            check.cat_status, check.cat_output = old.cat_status, old.cat_output
            check.critical_since = old.critical_since
        else:
            check.status = check.cat_status = initial_status or CRITICAL
        self.catalog.put_check(check)
        self.local_checks.add(check.check_id)
        self.monitor.start_check(check)

    def deregister_service(self, service_id: str) -> None:
        if service_id not in self.local_services:
            raise unknown_service(service_id)
        self._remove_service_quietly(service_id)
        sidecar = self.sidecars.pop(service_id, None)
        if sidecar is not None and sidecar in self.local_services:
            self._remove_service_quietly(sidecar)  # Consul removes a sidecar with its parent

    def _remove_service_quietly(self, service_id: str) -> None:
        for check in self.catalog.checks_of(service_id):
            self.monitor.stop(check)
            self.local_checks.discard(check.check_id)
        self.catalog.remove_service(service_id)
        self.local_services.discard(service_id)

    def service_maintenance(self, service_id: str, enable: bool, reason: str) -> None:
        svc = self.catalog.services.get(service_id)
        if svc is None or service_id not in self.local_services:
            raise ApiError(404, f'No service registered with ID "{service_id}"')
        check_id = SERVICE_MAINT_PREFIX + service_id
        if not enable:
            self._remove_check(check_id)
            return
        if check_id in self.catalog.checks:
            return
        check = Check(
            check_id=check_id,
            name="Service Maintenance Mode",
            type="maintenance",
            notes=reason or DEFAULT_SERVICE_MAINT,
            service_id=service_id,
            service_name=svc.name,
        )
        self._install_check(check, CRITICAL)

    def node_maintenance(self, enable: bool, reason: str) -> None:
        if not enable:
            self._remove_check(NODE_MAINT_ID)
            return
        if NODE_MAINT_ID in self.catalog.checks:
            return
        check = Check(
            check_id=NODE_MAINT_ID,
            name="Node Maintenance Mode",
            type="maintenance",
            notes=reason or DEFAULT_NODE_MAINT,
        )
        self._install_check(check, CRITICAL)

    # -- checks --------------------------------------------------------------------------------
    def register_check(self, body: dict[str, Any]) -> None:
        name = body.get("Name", "")
        if not name:
            raise ApiError(400, "Missing check name")
        status = body.get("Status", "")
        if status and not validate_status(status):
            raise ApiError(400, "Bad check status")
        problem = validate_check_type(body)
        if problem:
            raise ApiError(400, f"Invalid check: {problem}")
        service_id = body.get("ServiceID", "")
        service_name = ""
        if service_id:
            svc = self.catalog.services.get(service_id)
            if svc is None or service_id not in self.local_services:
                raise ApiError(404, f'ServiceID "{service_id}" does not exist')
            service_name = svc.name
        self._check_supported(check_type_name(body))
        check_id = body.get("ID") or body.get("CheckID") or name
        check = self._build_check(check_id, name, body, service_id, service_name, body.get("Notes", ""))
        self._install_check(check, status)

    def deregister_check(self, check_id: str) -> None:
        if check_id not in self.local_checks:
            raise unknown_check(check_id)
        self._remove_check(check_id)

    def _remove_check(self, check_id: str) -> None:
        check = self.catalog.checks.get(check_id)
        if check is None or check_id not in self.local_checks:
            return
        self.monitor.stop(check)
        self.local_checks.discard(check_id)
        self.catalog.remove_check(check_id)

    def ttl_update(self, check_id: str, status: str, output: str) -> None:
        check = self.catalog.checks.get(check_id)
        if check is None or check_id not in self.local_checks:
            raise unknown_check(check_id)
        if check.type != "ttl":
            raise ApiError(500, f'CheckID "{check_id}" does not have associated TTL')
        limit = check.definition.get("OutputMaxSize") or self.config.output_max_size
        self.monitor.ttl_update(check, status, truncate_output(output, limit))

    # -- views used by handlers ----------------------------------------------------------------
    def gauges(self) -> dict[str, float]:
        """Gauges for /v1/agent/metrics, read when asked."""
        cat = self.catalog
        rss = 0
        try:
            with open("/proc/self/statm") as statm:
                rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        return {
            "consul.runtime.num_goroutines": float(len(asyncio.all_tasks())),
            "consul.runtime.alloc_bytes": float(rss),
            "consul.session_ttl.active": float(sum(1 for s in self.sessions.sessions.values() if s.ttl_ns)),
            "consul.state.nodes": float(len(cat.nodes)),
            "consul.state.services": float(len(cat.by_name)),
            "consul.state.service_instances": float(sum(len(g) for g in cat.by_name.values())),
            "consul.state.kv_entries": float(len(self.kv.entries)),
            "consul.state.sessions": float(len(self.sessions.sessions)),
        }

    def service_tags(self, check: Check) -> list[str]:
        if not check.service_id:
            return []
        svc = self.catalog.service_on(self.catalog.node_name(check), check.service_id)
        return svc.tags if svc else []
