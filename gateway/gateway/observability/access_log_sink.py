"""A cheaper sink for the JSON access log: same line format as servicekit's ``JsonFormatter``,
written in batches.

The access log emits one line per request, which through the root handler means a full
``JsonFormatter`` pass over every LogRecord attribute and one write + flush per line. This
handler builds the line from the known fields and gathers lines for up to ``interval`` seconds
(or 64 KiB) before one write, when an event loop runs; otherwise it writes at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import IO

from servicekit.logconfig import base_fields

__all__ = ["BufferedAccessHandler", "install_access_handler"]

_FIELDS = (
    "request_id",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "route",
    "service",
    "instance",
    "attempts",
    "client",
)


class BufferedAccessHandler(logging.Handler):
    def __init__(
        self, stream: IO[str] | None = None, interval: float = 0.1, max_bytes: int = 64 * 1024
    ) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.interval = interval
        self.max_bytes = max_bytes
        self._lines: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    def format(self, record: logging.LogRecord) -> str:
        payload = base_fields(record)
        for key in _FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                payload[key] = value
        return json.dumps(payload, default=str)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:
            self.handleError(record)
            return
        self._lines.append(line)
        self._size += len(line)
        if self._size >= self.max_bytes:
            self.flush()
            return
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()  # no loop (e.g. a thread): write now
                return
            self._timer = loop.call_later(self.interval, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        data = "".join(self._lines)
        self._lines = []
        self._size = 0
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # stderr gone (shutdown); nothing sensible to do

    def close(self) -> None:
        self.flush()
        super().close()


def install_access_handler(logger_name: str = "gateway.access") -> BufferedAccessHandler | None:
    """Give the access logger the buffered handler when the root logs JSON; returns it (or None)."""
    from servicekit import JsonFormatter

    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return None  # text logs or a custom set-up: leave the access logger alone
    logger = logging.getLogger(logger_name)
    handler = BufferedAccessHandler()
    logger.handlers[:] = [handler]
    logger.propagate = False
    return handler
