"""Pick the replica runtime: ``docker``, ``process``, ``swarm`` or ``auto``."""

from __future__ import annotations

import asyncio
import logging

from .backend import ReplicaBackend
from .docker_backend import DockerBackend, docker_reachable
from .process_backend import ProcessBackend
from .settings import ReplicaSettings
from .swarm_backend import SwarmBackend

__all__ = ["select_backend"]

log = logging.getLogger("gateway.replicas")


async def select_backend(settings: ReplicaSettings, owner: str) -> ReplicaBackend:
    """The configured backend, started. ``auto`` = Docker when the engine answers and a replica
    network is known (set, or the gateway's own container network), else local processes.
    Raises ``RuntimeUnavailable`` when ``docker`` is forced but cannot work."""
    runtime = settings.gateway_runtime
    if runtime == "process":
        backend: ReplicaBackend = ProcessBackend(settings, owner)
        await backend.start()
        return backend
    if runtime == "swarm":  # never chosen by auto: a Swarm is a deliberate deployment
        swarm_backend = SwarmBackend(settings, owner)
        await swarm_backend.start()  # RuntimeUnavailable when the engine is not a Swarm manager
        return swarm_backend
    if runtime == "auto":
        ok, why = await asyncio.to_thread(docker_reachable)
        if not ok:
            log.info("runtime auto: Docker engine not reachable (%s); using local processes", why)
            return await select_backend(settings.model_copy(update={"gateway_runtime": "process"}), owner)
    docker_backend = DockerBackend(settings, owner)
    await docker_backend.start()  # RuntimeUnavailable when the engine does not answer
    if docker_backend.network is None and runtime == "auto":
        log.info(
            "runtime auto: no REPLICA_NETWORK and the gateway is not in a container; using local processes"
        )
        await docker_backend.close()
        return await select_backend(settings.model_copy(update={"gateway_runtime": "process"}), owner)
    return docker_backend
