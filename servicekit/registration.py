"""A replica's life in Consul: register (retrying), stay registered, deregister on the way out.

``ServiceRegistration.start()`` never fails because Consul is late or down: registration
runs in a background task that retries with exponential back-off (tenacity) until the agent
answers. Afterwards the same task keeps watching the agent; if the agent lost the service
(it restarted: the dev agent and ``consul agent -dev`` keep everything in memory) the
service is registered again. ``stop()`` deregisters, so SIGTERM/SIGINT (which uvicorn
turns into a lifespan shutdown) removes the replica from discovery at once.

The agent calls go through a ``RegistrationAgent``: ``PyConsulAgent`` (py-consul) for the
services, or a process's own Consul client (the gateway passes one built on its
``consul_client``, so that process talks to Consul from one module).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from .durations import parse_go_duration
from .settings import ServiceSettings

if TYPE_CHECKING:
    import consul

__all__ = [
    "AgentDenied",
    "AgentUnavailable",
    "PyConsulAgent",
    "RegistrationAgent",
    "RegistrationSpec",
    "ServiceRegistration",
    "consul_client",
]

log = logging.getLogger("servicekit.registration")


# What a call to an absent or restarting agent raises through py-consul's requests transport.
def _transient() -> tuple[type[BaseException], ...]:
    # py-consul (and requests) are imported only by processes that register through them:
    # the gateway registers through its own Consul client and never loads them.
    import consul
    import requests

    return (requests.exceptions.RequestException, consul.ConsulException, OSError)


def _unavailable(exc: BaseException) -> AgentUnavailable:
    import consul

    if isinstance(exc, consul.ACLPermissionDenied):
        return AgentDenied(str(exc))
    return AgentUnavailable(str(exc))


def consul_client(settings: ServiceSettings) -> consul.Consul:
    """A py-consul client for the configured agent (sync; call it from a thread)."""
    import consul

    addr = settings.consul
    client = consul.Consul(host=addr.host, port=addr.port, scheme=addr.scheme, token=settings.consul_token)
    client.http.connections_timeout = settings.consul_timeout  # py-consul's default is 30 s
    return client


@dataclass(frozen=True)
class RegistrationSpec:
    """Everything sent to ``/v1/agent/service/register`` for one replica."""

    name: str
    service_id: str
    address: str
    port: int
    tags: Sequence[str] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    check_url: str = ""
    check_interval: str = "5s"
    check_timeout: str = "2s"
    deregister_after: str = "1m"

    def check(self) -> dict[str, Any]:
        # What py-consul's Check.http builds.
        check: dict[str, Any] = {"http": self.check_url, "interval": self.check_interval}
        if self.check_timeout:
            check["timeout"] = self.check_timeout
        if self.deregister_after:
            check["DeregisterCriticalServiceAfter"] = self.deregister_after
        return check

    def payload(self) -> dict[str, Any]:
        """The ``/v1/agent/service/register`` body (what py-consul sends for these fields)."""
        body: dict[str, Any] = {"name": self.name, "id": self.service_id, "address": self.address}
        body["port"] = self.port
        if self.tags:
            body["tags"] = list(self.tags)
        if self.meta:
            body["meta"] = dict(self.meta)
        body["checks"] = [self.check()]
        return body

    @classmethod
    def from_settings(
        cls,
        settings: ServiceSettings,
        address: str,
        *,
        tags: Sequence[str] = (),
        meta: Mapping[str, str] | None = None,
    ) -> RegistrationSpec:
        host = f"[{address}]" if ":" in address else address
        return cls(
            name=settings.service_name,
            service_id=settings.instance_id(address),
            address=address,
            port=settings.service_port,
            tags=tuple(dict.fromkeys([*settings.service_tags, *tags])),
            meta={**settings.service_meta, **(meta or {})},
            check_url=f"http://{host}:{settings.service_port}{settings.check_path}",
            check_interval=settings.check_interval,
            check_timeout=settings.check_timeout,
            deregister_after=settings.check_deregister_after,
        )


class AgentUnavailable(Exception):
    """The agent could not be reached or refused the call; registration retries."""


class AgentDenied(AgentUnavailable):
    """The agent answered 403 (ACLs on, no or a weak token): not an outage, so said apart.
    Registration still retries: the token may be granted its policy later."""


class RegistrationAgent(Protocol):
    """The three agent calls registration needs."""

    @property
    def address(self) -> str: ...

    async def register(self, spec: RegistrationSpec) -> None:
        """Register (replacing existing checks); ``AgentUnavailable`` on failure."""
        ...

    async def deregister(self, service_id: str) -> None: ...

    async def is_registered(self, service_id: str) -> bool: ...


class PyConsulAgent:
    """``RegistrationAgent`` over py-consul (sync calls, run in a thread)."""

    def __init__(self, client: consul.Consul) -> None:
        self.client = client

    @property
    def address(self) -> str:
        return str(self.client.http.base_uri)

    async def register(self, spec: RegistrationSpec) -> None:
        try:
            ok = await asyncio.to_thread(
                self.client.agent.service.register,
                spec.name,
                service_id=spec.service_id,
                address=spec.address,
                port=spec.port,
                tags=list(spec.tags) or None,
                meta=dict(spec.meta) or None,
                check=spec.check(),
                replace_existing_checks=True,
            )
        except _transient() as exc:
            raise _unavailable(exc) from exc
        if not ok:
            raise AgentUnavailable(f"agent refused registration of {spec.service_id}")

    async def deregister(self, service_id: str) -> None:
        try:
            await asyncio.to_thread(self.client.agent.service.deregister, service_id)
        except _transient() as exc:
            raise AgentUnavailable(str(exc)) from exc

    async def is_registered(self, service_id: str) -> bool:
        try:
            known = await asyncio.to_thread(self.client.agent.service_definition, service_id)
        except _transient() as exc:
            raise AgentUnavailable(str(exc)) from exc
        return known is not None


class ServiceRegistration:
    """Keeps one replica registered in Consul for as long as it runs."""

    def __init__(
        self,
        agent: RegistrationAgent | consul.Consul,
        spec: RegistrationSpec,
        *,
        resync_interval: float | None = None,
        max_backoff: float = 5.0,
    ) -> None:
        self.agent: RegistrationAgent = agent if hasattr(agent, "is_registered") else PyConsulAgent(agent)
        self.spec = spec
        # Re-check the agent once per health-check interval: an agent restart is then
        # noticed within one interval, which is what "back within one check interval" needs.
        self.resync_interval = resync_interval or max(parse_go_duration(spec.check_interval), 0.5)
        self.max_backoff = max_backoff
        self.registrations = 0
        self._registered = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def registered(self) -> bool:
        return self._registered.is_set()

    async def wait_registered(self, timeout: float | None = None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self._registered.wait()
        except TimeoutError:
            return False
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"consul-registration:{self.spec.service_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # gather, not `except CancelledError: pass`: a cancel of stop() itself still propagates
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._registered.is_set():
            self._registered.clear()
            try:
                await self.agent.deregister(self.spec.service_id)
                log.info("deregistered %s", self.spec.service_id)
            except AgentUnavailable as exc:
                log.warning("could not deregister %s: %s", self.spec.service_id, exc)

    async def _run(self) -> None:
        await self._register_with_retry()
        while True:
            await asyncio.sleep(self.resync_interval)
            try:
                known = await self.agent.is_registered(self.spec.service_id)
            except AgentUnavailable as exc:
                log.debug("agent unreachable while checking registration: %s", exc)
                continue
            if not known:
                log.warning("agent lost %s (restarted?); registering again", self.spec.service_id)
                self._registered.clear()
                await self._register_with_retry()

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, AgentDenied):
            log.warning(
                "Consul at %s refused to register %s (attempt %d): %s; set CONSUL_HTTP_TOKEN to a token "
                "with service:write on %r; retrying",
                self.agent.address,
                self.spec.service_id,
                state.attempt_number,
                exc,
                self.spec.name,
            )
        else:
            log.warning(
                "Consul at %s not reachable (attempt %d): %s; retrying",
                self.agent.address,
                state.attempt_number,
                exc or "",
            )

    async def _register_with_retry(self) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(AgentUnavailable),
            wait=wait_exponential_jitter(multiplier=0.2, max=self.max_backoff),
            before_sleep=self._log_retry,
        )
        async for attempt in retrying:
            with attempt:
                await self.agent.register(self.spec)
        self.registrations += 1
        self._registered.set()
        log.info(
            "registered %s as %s at %s:%d",
            self.spec.name,
            self.spec.service_id,
            self.spec.address,
            self.spec.port,
        )
