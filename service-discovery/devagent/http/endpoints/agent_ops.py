"""Agent operations: metrics, reload, leave, force-leave, monitor (Consul's agent/agent_endpoint.go)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator

from ...agent import Agent
from ...errors import ApiError
from ..request import Request
from ..response import Response, json_response, text_response

__all__ = ["AgentOps"]

log = logging.getLogger("devagent.agent")

# logging.ValidateLogLevel: allowed names (upper-cased first) and their Python levels
_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERR": logging.ERROR,
    "ERROR": logging.ERROR,
}
_MONITOR_BUFFER = 512  # lines a slow monitor client may lag behind before lines are dropped


class _QueueHandler(logging.Handler):
    """Feeds one monitor client; never blocks the agent (drops when the client lags)."""

    def __init__(self, level: int, as_json: bool) -> None:
        super().__init__(level)
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(_MONITOR_BUFFER)
        self.dropped = 0
        self.as_json = as_json

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.as_json:
                import json

                line = json.dumps(
                    {
                        "@level": record.levelname.lower(),
                        "@message": record.getMessage(),
                        "@module": record.name,
                        "@timestamp": self.formatter.formatTime(record) if self.formatter else "",
                    }
                )
            else:
                line = self.format(record)
            self.queue.put_nowait((line + "\n").encode())
        except asyncio.QueueFull:
            self.dropped += 1
        except Exception:  # a broken record must not break the agent's logging
            self.handleError(record)


class AgentOps:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def metrics(self, req: Request, _rest: str) -> Response:
        gauges = self.agent.gauges()
        if req.get("format") == "prometheus" or _accepts_openmetrics(req.headers.get("accept", "")):
            if self.agent.config.prometheus_retention_time <= 0:
                return text_response(
                    415, "Prometheus is not enabled since its retention time is not positive"
                )
            body = self.agent.metrics.prometheus(gauges)
            return Response(200, body.encode(), {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
        return json_response(self.agent.metrics.snapshot(gauges))

    async def reload(self, req: Request, _rest: str) -> Response:
        # Nothing is read from files: the configuration is the command line, so a reload changes
        # nothing (Consul re-reads its config files and answers 200 with an empty body).
        log.info("Reloading configuration (nothing to reload: configured from the command line)")
        return Response(200)

    async def leave(self, req: Request, _rest: str) -> Response:
        """Graceful leave: answer, then shut the agent down as `consul leave` does."""
        log.info("Graceful leave requested; shutting down")
        hook = self.agent.on_leave
        if hook is not None:
            asyncio.get_running_loop().call_later(0.1, hook)
        return Response(200)

    async def force_leave(self, req: Request, node: str) -> Response:
        # agent.ForceLeave: only Serf members can be forced out; this agent is the only member
        if not node or node != self.agent.catalog.node.name:
            raise ApiError(500, f"agent: No node found with name '{node}'")
        log.info("Force leaving node %s (the agent itself: nothing to remove)", node)
        return Response(200)

    async def monitor(self, req: Request, _rest: str) -> Response:
        name = (req.get("loglevel") or "INFO").upper()
        level = _LEVELS.get(name)
        if level is None:
            return text_response(400, f"Unknown log level: {req.get('loglevel')}")
        handler = _QueueHandler(level, req.has("logjson"))
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
        return Response(
            200, b"", {"Content-Type": "text/plain; charset=utf-8"}, stream=_follow(handler, level)
        )


def _accepts_openmetrics(accept: str) -> bool:
    """agent_endpoint.go acceptsOpenMetricsMimeType."""
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        mime = parts[0].lower()
        if mime == "application/openmetrics-text":
            return True
        if mime == "text/plain" and len(parts) > 1 and parts[1] == "version=0.4.0":
            return True
    return False


async def _follow(handler: _QueueHandler, level: int) -> AsyncIterator[bytes]:
    logger = logging.getLogger("devagent")
    previous = logger.level
    root_handlers = logging.getLogger().handlers
    for h in root_handlers:  # keep the console at the agent's level while a monitor asks for more
        if h.level == logging.NOTSET:
            h.setLevel(logging.getLogger().getEffectiveLevel())
    if level < logger.getEffectiveLevel():
        logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield f"{os.getpid()}: monitor attached at level {logging.getLevelName(level)}\n".encode()
        while True:
            yield await handler.queue.get()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
