"""Orchestrated flows: an OPEA-compatible ``ServiceOrchestrator`` backed by the gateway.

OPEA megaservice code runs after one import change::

    from gateway.orchestrator import MicroService, ServiceOrchestrator, ServiceRoleType, ServiceType

Nodes without ``host``/``port`` are resolved by service name through discovery; flows can
also be declared in YAML/JSON files the gateway serves as HTTP endpoints. See
``docs/flows.md``.
"""

from __future__ import annotations

from .caller import NodeCaller, NodeRequest, NodeResponse
from .conditions import Condition, ConditionError, parse_condition
from .constants import MegaServiceEndpoint, ServiceRoleType, ServiceType
from .dag import DAG
from .defaults import default_caller, set_default_caller, set_default_observer
from .errors import FlowDefinitionError, FlowError, NodeCallError
from .execution import RuntimeGraph
from .microservice import MicroService, opea_microservices, register_microservice
from .orchestrator import FlowRun, ServiceOrchestrator
from .params import LLMParams, RerankerParms, RetrieverParms, TextDoc, TopologyInfo
from .standalone import StandaloneCaller
from .statistics import BaseStatistics, collect_all_statistics, register_statistics, statistics_dict

__all__ = [
    "DAG",
    "BaseStatistics",
    "Condition",
    "ConditionError",
    "FlowDefinitionError",
    "FlowError",
    "FlowRun",
    "LLMParams",
    "MegaServiceEndpoint",
    "MicroService",
    "NodeCallError",
    "NodeCaller",
    "NodeRequest",
    "NodeResponse",
    "RerankerParms",
    "RetrieverParms",
    "RuntimeGraph",
    "ServiceOrchestrator",
    "ServiceRoleType",
    "ServiceType",
    "StandaloneCaller",
    "TextDoc",
    "TopologyInfo",
    "collect_all_statistics",
    "default_caller",
    "opea_microservices",
    "parse_condition",
    "register_microservice",
    "register_statistics",
    "set_default_caller",
    "set_default_observer",
    "statistics_dict",
]
