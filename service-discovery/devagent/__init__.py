"""Consul-compatible single-node dev agent (``python -m devagent --port 8500``).

In-memory catalog, health checks executed by the agent, blocking queries and KV, speaking the
subset of Consul's HTTP API described in the project's contract.
"""

from __future__ import annotations

from .config import AgentConfig
from .http import DevAgentApp

__all__ = ["AgentConfig", "DevAgentApp"]
