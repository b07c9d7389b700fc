"""Autoscaling of model replicas from the load the gateway sees (in-flight requests per replica).

Policy per model in Consul KV (``routes``), signal from sliding windows (``signal``,
``window``), KPA-style decisions (``decision``), the leader's loop (``controller``), scale
from zero (``activator``).
"""

from __future__ import annotations

from .decision import Decider, Decision, Signal
from .extension import AutoscalerExtension
from .policy import AutoscalingPolicy
from .settings import AutoscalerSettings

__all__ = ["AutoscalerExtension", "AutoscalerSettings", "AutoscalingPolicy", "Decider", "Decision", "Signal"]
