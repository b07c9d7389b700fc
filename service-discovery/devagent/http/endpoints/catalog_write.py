"""PUT /v1/catalog/register and /v1/catalog/deregister (contract §5); both answer JSON ``true``."""

from __future__ import annotations

from ...agent import Agent
from ...catalog_writes import catalog_deregister, catalog_register
from ...decode import decode_body
from ...errors import ApiError
from ...schemas import DEREGISTER_REQUEST, REGISTER_REQUEST
from ..query import check_dc
from ..request import Request
from ..response import Response, json_response

__all__ = ["CatalogWrites"]


class CatalogWrites:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def _dc(self, req: Request, body_dc: str) -> None:
        check_dc(req, self.agent.config)
        if body_dc and body_dc != self.agent.config.datacenter:
            raise ApiError(500, "No path to datacenter")

    async def register(self, req: Request, rest: str) -> Response:
        body = decode_body(await req.body(), REGISTER_REQUEST)
        self._dc(req, body.get("Datacenter", ""))
        catalog_register(self.agent, body)
        return json_response(True)

    async def deregister(self, req: Request, rest: str) -> Response:
        body = decode_body(await req.body(), DEREGISTER_REQUEST)
        self._dc(req, body.get("Datacenter", ""))
        catalog_deregister(self.agent, body)
        return json_response(True)
