"""The extensions a default gateway runs, in start order (stopped in reverse).

One explicit list instead of registration by import side effect: what ``python -m gateway``
runs is read here.
"""

from __future__ import annotations

from .extension_protocol import GatewayExtension
from .settings import GatewaySettings

__all__ = ["default_extensions"]


def default_extensions(settings: GatewaySettings) -> list[GatewayExtension]:
    # Imported here: both subsystems import the app's neighbours, not the other way round.
    from .autoscaler.extension import AutoscalerExtension
    from .orchestrator.extension import FlowsExtension
    from .replicas.extension import ReplicasExtension

    # The autoscaler after replicas: it uses core.replicas, and stops before it.
    return [ReplicasExtension(settings), AutoscalerExtension(settings), FlowsExtension(settings)]
