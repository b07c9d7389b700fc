"""Process defaults: the caller and observer an orchestrator uses when none is given.

Inside the gateway the flows extension installs the gateway-backed caller (discovery,
balancer, failover) and its metrics here, so plain ``ServiceOrchestrator()`` objects built
in the same process route through the gateway too. Standalone, the caller is a
``StandaloneCaller`` per event loop (connections belong to one loop): the gateway's core
(discovery from Consul at ``CONSUL_HTTP_ADDR``, balancer, retries) without its server.
"""

from __future__ import annotations

import asyncio
import weakref

from .caller import NodeCaller
from .observer import FlowObserver, NullObserver
from .standalone import StandaloneCaller

__all__ = ["default_caller", "default_observer", "set_default_caller", "set_default_observer"]

_installed_caller: NodeCaller | None = None
_installed_observer: FlowObserver | None = None
_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, NodeCaller] = weakref.WeakKeyDictionary()


def set_default_caller(caller: NodeCaller | None) -> None:
    global _installed_caller
    _installed_caller = caller


def set_default_observer(observer: FlowObserver | None) -> None:
    global _installed_observer
    _installed_observer = observer


def default_caller() -> NodeCaller:
    if _installed_caller is not None:
        return _installed_caller
    loop = asyncio.get_running_loop()
    caller = _per_loop.get(loop)
    if caller is None:
        caller = StandaloneCaller()
        _per_loop[loop] = caller
    return caller


def default_observer() -> FlowObserver:
    return _installed_observer if _installed_observer is not None else NullObserver()
