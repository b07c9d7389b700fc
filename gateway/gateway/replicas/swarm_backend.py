"""Replicas as the tasks of one Docker Swarm service per model (docker SDK, run in threads).

Each model has one service, found by this stack's replica labels (the stack file may deploy
it; otherwise the first launch creates ``<stack>-gdp-<model>``). Launch = replicas + 1 and
the new task is the replica; remove = replicas - 1, and since Swarm picks which task stops,
the answer names the task that went, not necessarily the one asked for. Tasks register in
Consul themselves with ``SERVICE_ID={{.Task.Name}}`` and their overlay address, so the
gateway matches them in its routing table like containers. Only services carrying this
stack's replica labels are ever read as replicas or changed; any other id is "not found".

Services also carry ``com.docker.stack.namespace=<stack>``, so ``docker stack rm`` removes
the ones the gateway created together with the stack.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound
from docker.types import (
    ContainerSpec,
    EndpointSpec,
    NetworkAttachmentConfig,
    Placement,
    Resources,
    RestartPolicy,
    ServiceMode,
    TaskTemplate,
)

from . import labels as L
from .backend import LaunchSpec
from .engine_values import engine_timestamp, model_slug
from .errors import LaunchFailed, ReplicaNotFound, RuntimeUnavailable
from .placement import parse_placement
from .settings import ReplicaSettings
from .types import ReplicaInfo

__all__ = ["STACK_NAMESPACE", "SwarmBackend", "memory_bytes", "service_name_for"]

log = logging.getLogger("gateway.replicas.swarm")

STACK_NAMESPACE = "com.docker.stack.namespace"  # what `docker stack rm` selects by
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_GONE = frozenset(("complete", "shutdown", "failed", "rejected", "orphaned", "remove"))
_NEW_TASK_WAIT = 15.0  # seconds for the orchestrator to create/pick a task after an update


def service_name_for(stack: str, model: str) -> str:
    """``<stack>-gdp-<model slug>``, at most 63 characters (Swarm's limit)."""
    return f"{stack}-gdp-{model_slug(model)}"[:63].rstrip("-")


def memory_bytes(text: str) -> int:
    """``512m`` -> bytes (the settings already validated the form)."""
    unit = text[-1].lower()
    return int(text[:-1]) * _UNITS[unit] if unit in _UNITS else int(text)


class SwarmBackend:
    kind = "swarm"

    def __init__(self, settings: ReplicaSettings, owner: str) -> None:
        self.settings = settings
        self.owner = owner  # replicas report no owner: services outlive any one gateway
        self.stack = settings.stack_name or "consul-gateway"
        self.network: str | None = settings.replica_network
        self.placement = parse_placement(settings.replica_placement)
        self._client: docker.DockerClient | None = None
        self._update_lock = threading.Lock()  # one read-modify-write of a service spec at a time
        self._claimed: set[str] = set()  # tasks already reported as removed by a scale-down
        self._nodes: dict[str, str] = {}  # node id -> hostname

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if not self.network:
            raise RuntimeUnavailable(
                "GATEWAY_RUNTIME=swarm needs REPLICA_NETWORK: an attachable overlay network on which "
                "Consul and the gateway are reachable"
            )
        try:
            await asyncio.to_thread(self._connect)
        except RuntimeUnavailable as exc:
            # A stack has no start order: the Docker proxy may come up after the gateway.
            # Every operation connects again; until then they answer 503 with this reason.
            log.warning("swarm runtime: %s; retrying on the next replica operation", exc.message)
        log.info(
            "swarm runtime: stack=%s network=%s image=%s placement=%s",
            self.stack,
            self.network,
            self.settings.replica_image,
            self.placement,
        )

    def _connect(self) -> docker.DockerClient:
        """The client, connected and checked to be a Swarm manager (once)."""
        if self._client is not None:
            return self._client
        try:
            client = docker.from_env(timeout=30)
            info = client.info()
        except DockerException as exc:
            raise RuntimeUnavailable(f"Docker engine unreachable: {exc}") from exc
        swarm = info.get("Swarm") or {}
        if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
            client.close()
            raise RuntimeUnavailable(
                "GATEWAY_RUNTIME=swarm needs a Swarm manager: the engine is not one "
                f"(state {swarm.get('LocalNodeState')!r}); run `docker swarm init` or point DOCKER_HOST "
                "at a manager"
            )
        self._client = client
        own = self._own_container()
        if own is not None and self.settings.stack_name is None:
            self.stack = own.labels.get(STACK_NAMESPACE) or self.stack
        return client

    def _own_container(self) -> Any:
        try:
            return self._client.containers.get(socket.gethostname()) if self._client else None
        except (NotFound, APIError):
            return None

    async def close(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.close)
            self._client = None

    @property
    def client(self) -> docker.DockerClient:
        return self._client if self._client is not None else self._connect()

    # ------------------------------------------------------------------ services
    def _services(self, model: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.client.api.services(
            filters={"label": L.replica_filters(self.stack, model)}
        )
        return sorted(found, key=lambda s: str(s["Spec"]["Name"]))

    def _managed_service(self, service_id: str) -> dict[str, Any] | None:
        try:
            service: dict[str, Any] = self.client.api.inspect_service(service_id)
        except (NotFound, APIError):
            return None
        lab = service["Spec"].get("Labels") or {}
        ok = (
            lab.get(L.MANAGED) == "true"
            and lab.get(L.STACK) == self.stack
            and lab.get(L.ROLE) == L.ROLE_REPLICA
        )
        return service if ok else None

    def _tasks(self, service_id: str, running_only: bool = True) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {"service": service_id}
        if running_only:
            filters["desired-state"] = "running"
        tasks: list[dict[str, Any]] = self.client.api.tasks(filters=filters)
        return [t for t in tasks if t.get("ServiceID") == service_id]

    def _replicas(self, service: dict[str, Any]) -> int:
        return int(((service["Spec"].get("Mode") or {}).get("Replicated") or {}).get("Replicas") or 0)

    def _set_replicas(self, service: dict[str, Any], replicas: int) -> None:
        """Post the service's own spec back with only the replica count changed. (The SDK's
        ``update_service(fetch_current_spec=True)`` reads the spec *with defaults inserted*;
        posting that differs from the stored spec and rolls every task.)"""
        api = self.client.api
        spec = dict(service["Spec"])
        spec["Mode"] = {"Replicated": {"Replicas": replicas}}
        resp = api._post_json(  # noqa: SLF001 - the SDK has no public "post this spec as is"
            api._url("/services/{0}/update", service["ID"]),  # noqa: SLF001
            data=spec,
            params={"version": service["Version"]["Index"]},
        )
        api._result(resp, json=True)  # noqa: SLF001 - raises APIError on a refusal

    def _create_service(self, spec: LaunchSpec) -> dict[str, Any]:
        s = self.settings
        labels = {
            L.MANAGED: "true",
            L.STACK: self.stack,
            L.ROLE: L.ROLE_REPLICA,
            L.MODEL: spec.model,
            L.PORT: str(s.replica_port),
        }
        env = spec.environment("0.0.0.0", s.replica_port)
        env["SERVICE_ID"] = "{{.Task.Name}}"  # Swarm's template: <service>.<slot>.<task id>
        container = ContainerSpec(
            s.replica_image,
            env=env,
            labels=labels,
            stop_signal="SIGTERM",
            stop_grace_period=int(s.replica_stop_timeout * 1e9),
        )
        template = TaskTemplate(
            container,
            resources=Resources(
                cpu_limit=int(s.replica_cpus * 1e9), mem_limit=memory_bytes(s.replica_memory)
            ),
            restart_policy=RestartPolicy(condition="any", delay=1_000_000_000),
            placement=Placement(
                constraints=list(self.placement.constraints) or None,
                preferences=[("spread", d) for d in self.placement.spread] or None,
            ),
            networks=[NetworkAttachmentConfig(self.network or "")],
        )
        name = service_name_for(self.stack, spec.model)
        try:
            created = self.client.api.create_service(
                template,
                name=name,
                labels={**labels, STACK_NAMESPACE: self.stack},
                mode=ServiceMode("replicated", 1),
                endpoint_spec=EndpointSpec(mode="dnsrr"),  # no IPVS needed: tasks are reached by address
            )
        except APIError as exc:
            if exc.status_code == 404 or "not found" in str(exc).lower():
                raise RuntimeUnavailable(
                    f"replica network {self.network!r} not found: {_short(exc)}"
                ) from exc
            raise RuntimeUnavailable(f"Swarm could not create service {name}: {_short(exc)}") from exc
        service: dict[str, Any] = self.client.api.inspect_service(created["ID"])
        return service

    # ------------------------------------------------------------------ operations
    async def launch(self, spec: LaunchSpec) -> ReplicaInfo:
        return await asyncio.to_thread(self._launch_sync, spec)

    def _launch_sync(self, spec: LaunchSpec) -> ReplicaInfo:
        try:
            with self._update_lock:
                existing = self._services(spec.model)
                if existing:
                    service = existing[0]
                    before = {t["ID"] for t in self._tasks(service["ID"], running_only=False)}
                    self._set_replicas(service, self._replicas(service) + 1)
                else:
                    before = set()
                    service = self._create_service(spec)
                task = self._wait_new_task(service["ID"], before)
        except APIError as exc:
            raise RuntimeUnavailable(f"Swarm could not add a replica of {spec.model}: {_short(exc)}") from exc
        return self._info(service, task)

    def _wait_new_task(self, service_id: str, before: set[str]) -> dict[str, Any]:
        deadline = time.monotonic() + _NEW_TASK_WAIT
        while time.monotonic() < deadline:
            fresh = [t for t in self._tasks(service_id) if t["ID"] not in before]
            if fresh:
                return min(fresh, key=lambda t: int(t.get("Slot") or 0))
            time.sleep(0.1)
        raise LaunchFailed(f"Swarm created no new task for service {service_id} within {_NEW_TASK_WAIT:g}s")

    async def get(self, replica_id: str) -> ReplicaInfo | None:
        def run() -> ReplicaInfo | None:
            found = self._managed_task(replica_id)
            return None if found is None else self._info(*found)

        return await asyncio.to_thread(run)

    def _managed_task(self, replica_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(service, task) for a task id or task name of a managed service, else None."""
        task_id = replica_id.rsplit(".", 1)[-1]  # a task name <service>.<slot>.<id> ends with the id
        if not _ID.match(task_id):
            return None
        try:
            task: dict[str, Any] = self.client.api.inspect_task(task_id)
        except (NotFound, APIError):
            return None
        service = self._managed_service(str(task.get("ServiceID") or ""))
        return None if service is None else (service, task)

    async def list(self, model: str | None = None) -> list[ReplicaInfo]:
        def run() -> list[ReplicaInfo]:
            out = [self._info(svc, t) for svc in self._services(model) for t in self._tasks(svc["ID"])]
            return sorted(out, key=lambda i: (i.created, i.name))

        return await asyncio.to_thread(run)

    async def remove(self, replica_id: str) -> ReplicaInfo:
        """Scale the task's service down by one; Swarm chooses the task that stops, and the
        answer is that task (it is waited for until it is no longer running)."""
        gone = await asyncio.to_thread(self._scale_down_one, replica_id)
        return await asyncio.to_thread(self._wait_stopped, gone)

    def _scale_down_one(self, replica_id: str) -> ReplicaInfo:
        found = self._managed_task(replica_id)
        if found is None:
            raise ReplicaNotFound(f"no replica managed by this gateway has id {replica_id!r}")
        service_id = found[0]["ID"]
        try:
            with self._update_lock:
                service = self._managed_service(service_id)
                if service is None or self._replicas(service) == 0:
                    raise ReplicaNotFound(f"replica {replica_id!r} is already being removed")
                running = {t["ID"] for t in self._tasks(service_id)} - self._claimed
                self._set_replicas(service, self._replicas(service) - 1)
                deadline = time.monotonic() + _NEW_TASK_WAIT
                while time.monotonic() < deadline:
                    still = {t["ID"] for t in self._tasks(service_id)}
                    went = sorted(running - still)
                    if went:
                        self._claimed.add(went[0])
                        task: dict[str, Any] = self.client.api.inspect_task(went[0])
                        return self._info(service, task)
                    time.sleep(0.1)
        except APIError as exc:
            raise RuntimeUnavailable(f"Swarm could not scale down {service_id}: {_short(exc)}") from exc
        raise RuntimeUnavailable(f"Swarm stopped no task of {service_id} within {_NEW_TASK_WAIT:g}s")

    def _wait_stopped(self, info: ReplicaInfo) -> ReplicaInfo:
        deadline = time.monotonic() + self.settings.replica_stop_timeout + 10
        try:
            while time.monotonic() < deadline:
                found = self._managed_task(info.id)
                if found is None or found[1]["Status"]["State"] in _GONE:
                    return info if found is None else self._info(*found)
                time.sleep(0.2)
            return info
        finally:
            self._claimed.discard(info.id)

    async def logs(self, replica_id: str, lines: int = 20) -> str:
        def run() -> str:
            found = self._managed_task(replica_id)
            if found is None:
                return ""
            try:
                raw = self.client.api.service_logs(
                    found[0]["ID"], stdout=True, stderr=True, tail=lines, follow=False
                )
                return b"".join(raw).decode(errors="replace")
            except APIError:
                return ""

        return await asyncio.to_thread(run)

    # ------------------------------------------------------------------ helpers
    def _node(self, node_id: str) -> str | None:
        if not node_id:
            return None
        if node_id not in self._nodes:
            try:
                node = self.client.api.inspect_node(node_id)
                self._nodes[node_id] = str((node.get("Description") or {}).get("Hostname") or node_id)
            except (NotFound, APIError):
                return node_id
        return self._nodes[node_id]

    def _address(self, task: dict[str, Any]) -> str | None:
        for att in task.get("NetworksAttachments") or []:
            net = att.get("Network") or {}
            if self.network in (net.get("ID"), (net.get("Spec") or {}).get("Name")):
                for addr in att.get("Addresses") or []:
                    return str(addr).split("/", 1)[0]
        return None

    def _info(self, service: dict[str, Any], task: dict[str, Any]) -> ReplicaInfo:
        spec = service["Spec"]
        labels = spec.get("Labels") or {}
        status = task.get("Status") or {}
        state = str(status.get("State") or "new")
        image = str(((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image") or "")
        exit_code = (status.get("ContainerStatus") or {}).get("ExitCode")
        return ReplicaInfo(
            id=str(task["ID"]),
            name=f"{spec['Name']}.{task.get('Slot') or task.get('NodeID')}.{task['ID']}",
            model=labels.get(L.MODEL, ""),
            status=state,
            image=image.split("@", 1)[0],
            address=self._address(task),
            port=int(labels.get(L.PORT) or self.settings.replica_port),
            created=engine_timestamp(str(task.get("CreatedAt") or "")),
            exit_code=exit_code if state in _GONE and exit_code is not None else None,
            node=self._node(str(task.get("NodeID") or "")),
        )


def _short(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)[:300]
