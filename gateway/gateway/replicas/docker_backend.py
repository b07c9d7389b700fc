"""Replicas as Docker containers of the model-service image (docker SDK, run in threads).

A replica is created already attached to the stack's network (``network=`` at creation: no
attach race), labelled with the stack id and model, with a restart policy and CPU/memory
limits. Only containers carrying this stack's replica labels are ever listed, stopped or
removed; any other id is "not found".
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container

from . import labels as L
from .backend import LaunchSpec
from .engine_values import engine_timestamp
from .errors import ReplicaNotFound, RuntimeUnavailable
from .settings import ReplicaSettings
from .types import ReplicaInfo

__all__ = ["DockerBackend", "docker_reachable"]

log = logging.getLogger("gateway.replicas.docker")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def docker_reachable(timeout: float = 3.0) -> tuple[bool, str]:
    """(True, "") when the engine from the environment answers a ping, else (False, why)."""
    try:
        client = docker.from_env(timeout=int(max(1, timeout)))
        try:
            client.ping()
        finally:
            client.close()
    except DockerException as exc:
        return False, str(exc)
    return True, ""


class DockerBackend:
    kind = "docker"

    def __init__(self, settings: ReplicaSettings, owner: str) -> None:
        self.settings = settings
        self.owner = owner
        self.stack = settings.stack_name or "consul-gateway"
        self.network: str | None = settings.replica_network
        self._client: docker.DockerClient | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await asyncio.to_thread(self._start_sync)

    def _start_sync(self) -> None:
        try:
            self._client = docker.from_env(timeout=30)
            self._client.ping()
        except DockerException as exc:
            raise RuntimeUnavailable(f"Docker engine unreachable: {exc}") from exc
        own = self._own_container()
        if own is not None:
            # In compose: same stack id as the compose project, same network as the gateway.
            if self.settings.stack_name is None:
                project = own.labels.get("com.docker.compose.project")
                if project:
                    self.stack = project
            if self.network is None:
                nets = list((own.attrs.get("NetworkSettings") or {}).get("Networks") or {})
                self.network = next((n for n in nets if n not in ("bridge", "host", "none")), None)
        log.info(
            "docker runtime: stack=%s network=%s image=%s",
            self.stack,
            self.network,
            self.settings.replica_image,
        )

    def _own_container(self) -> Container | None:
        try:
            return self.client.containers.get(socket.gethostname())
        except (NotFound, APIError):
            return None

    async def close(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.close)
            self._client = None

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise RuntimeUnavailable("Docker runtime not started")
        return self._client

    # ------------------------------------------------------------------ operations
    async def launch(self, spec: LaunchSpec) -> ReplicaInfo:
        return await asyncio.to_thread(self._launch_sync, spec)

    def _launch_sync(self, spec: LaunchSpec) -> ReplicaInfo:
        s = self.settings
        if not self.network:
            raise RuntimeUnavailable(
                "REPLICA_NETWORK is not set and the gateway is not in a container: set it to the Docker "
                "network on which Consul is reachable"
            )
        try:
            # Checked first: a missing image would otherwise make the SDK try a pull (opaque 500).
            self.client.images.get(s.replica_image)
        except ImageNotFound as exc:
            raise RuntimeUnavailable(
                f"replica image {s.replica_image!r} not found in the Docker engine (build it: make images)"
            ) from exc
        try:
            self.client.networks.get(self.network)
        except NotFound as exc:
            raise RuntimeUnavailable(f"replica network {self.network!r} does not exist") from exc
        labels = {
            L.MANAGED: "true",
            L.STACK: self.stack,
            L.ROLE: L.ROLE_REPLICA,
            L.MODEL: spec.model,
            L.PORT: str(s.replica_port),
            L.OWNER: self.owner,
        }
        try:
            container = self.client.containers.run(
                s.replica_image,
                detach=True,
                name=spec.name,
                hostname=spec.name[:63],
                labels=labels,
                environment=spec.environment("0.0.0.0", s.replica_port),
                network=self.network,
                restart_policy={"Name": "on-failure", "MaximumRetryCount": 3},
                nano_cpus=int(s.replica_cpus * 1e9),
                mem_limit=s.replica_memory,
                stop_signal="SIGTERM",
            )
        except (APIError, DockerException) as exc:
            raise RuntimeUnavailable(f"Docker could not start replica {spec.name}: {_short(exc)}") from exc
        container.reload()
        return self._info(container)

    async def get(self, replica_id: str) -> ReplicaInfo | None:
        container = await asyncio.to_thread(self._managed, replica_id)
        return None if container is None else self._info(container)

    def _managed(self, replica_id: str) -> Container | None:
        if not _ID.match(replica_id):
            return None
        try:
            container = self.client.containers.get(replica_id)
        except (NotFound, APIError):  # APIError: ambiguous prefix and similar
            return None
        lab = container.labels
        ok = (
            lab.get(L.MANAGED) == "true"
            and lab.get(L.STACK) == self.stack
            and lab.get(L.ROLE) == L.ROLE_REPLICA
        )
        return container if ok else None

    async def list(self, model: str | None = None) -> list[ReplicaInfo]:
        def run() -> list[ReplicaInfo]:
            found = self.client.containers.list(  # ignore_removed: one removed while listing is no error
                all=True, filters={"label": L.replica_filters(self.stack, model)}, ignore_removed=True
            )
            return sorted((self._info(c) for c in found), key=lambda i: (i.created, i.name))

        return await asyncio.to_thread(run)

    async def remove(self, replica_id: str) -> ReplicaInfo:
        def run() -> ReplicaInfo:
            container = self._managed(replica_id)
            if container is None:
                raise ReplicaNotFound(f"no replica managed by this gateway has id {replica_id!r}")
            info = self._info(container)
            try:
                # SIGTERM first so the service deregisters from Consul, then remove.
                if container.status in ("running", "restarting"):
                    container.stop(timeout=int(self.settings.replica_stop_timeout))
                container.remove(force=True)
            except NotFound:
                pass  # removed concurrently: the goal is reached
            except APIError as exc:
                raise RuntimeUnavailable(f"Docker could not remove {info.name}: {_short(exc)}") from exc
            return info

        return await asyncio.to_thread(run)

    async def logs(self, replica_id: str, lines: int = 20) -> str:
        def run() -> str:
            container = self._managed(replica_id)
            if container is None:
                return ""
            try:
                raw: bytes = container.logs(tail=lines)
            except APIError:
                return ""
            return raw.decode(errors="replace")

        return await asyncio.to_thread(run)

    # ------------------------------------------------------------------ helpers
    def _info(self, container: Container) -> ReplicaInfo:
        attrs = container.attrs
        state = attrs.get("State") or {}
        nets: dict[str, Any] = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
        net: dict[str, Any] = nets.get(self.network or "") or next(iter(nets.values()), {}) or {}
        address = net.get("IPAddress") or None
        labels = container.labels
        return ReplicaInfo(
            id=container.id or "",
            name=container.name or "",
            model=labels.get(L.MODEL, ""),
            status=str(state.get("Status") or container.status),
            image=str((attrs.get("Config") or {}).get("Image") or ""),
            address=address,
            port=int(labels.get(L.PORT) or self.settings.replica_port),
            created=engine_timestamp(str(attrs.get("Created", ""))),
            restarts=int(attrs.get("RestartCount") or 0),
            exit_code=state.get("ExitCode") if state.get("Status") in ("exited", "dead") else None,
            owner=labels.get(L.OWNER),
        )


def _short(exc: Exception) -> str:
    """Docker's explanation without the request URL noise."""
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)[:300]
