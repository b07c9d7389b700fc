"""The local agent's service endpoints, for the gateway's own registration.

``AgentAPI`` registers, deregisters and looks up a service on the agent; ``AgentRegistrar``
adapts it to servicekit's ``RegistrationAgent``, so ``create_service_app`` keeps the gateway
registered (retries, re-registration after an agent restart) through this client instead of
a second one (py-consul).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from servicekit.registration import AgentUnavailable, RegistrationSpec

from .errors import ConsulError
from .transport import ConsulTransport

__all__ = ["AgentAPI", "AgentRegistrar"]


def _service_path(action: str, service_id: str) -> str:
    return f"/v1/agent/service/{action}{quote(service_id, safe='')}"


class AgentAPI:
    def __init__(self, transport: ConsulTransport) -> None:
        self.transport = transport

    async def register_service(
        self, payload: dict[str, Any], *, replace_existing_checks: bool = True
    ) -> None:
        params = {"replace-existing-checks": "true"} if replace_existing_checks else None
        await self.transport.request("PUT", "/v1/agent/service/register", params=params, json_body=payload)

    async def deregister_service(self, service_id: str) -> None:
        await self.transport.request("PUT", _service_path("deregister/", service_id))

    async def service(self, service_id: str) -> dict[str, Any] | None:
        """The agent's definition of ``service_id``; None when the agent does not know it."""
        resp = await self.transport.request("GET", _service_path("", service_id), accept=(200, 404))
        if resp.status == 404:
            return None
        found: dict[str, Any] = resp.json()
        return found


class AgentRegistrar:
    """servicekit's ``RegistrationAgent`` on ``AgentAPI``."""

    def __init__(self, agent: AgentAPI) -> None:
        self.agent = agent

    @property
    def address(self) -> str:
        return self.agent.transport.base_url

    async def register(self, spec: RegistrationSpec) -> None:
        try:
            await self.agent.register_service(spec.payload())
        except ConsulError as exc:
            raise AgentUnavailable(str(exc)) from exc

    async def deregister(self, service_id: str) -> None:
        try:
            await self.agent.deregister_service(service_id)
        except ConsulError as exc:
            raise AgentUnavailable(str(exc)) from exc

    async def is_registered(self, service_id: str) -> bool:
        try:
            return await self.agent.service(service_id) is not None
        except ConsulError as exc:
            raise AgentUnavailable(str(exc)) from exc
