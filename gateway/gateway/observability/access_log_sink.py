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
import re
import sys
import time
from typing import IO, Any

from servicekit.logconfig import base_fields

__all__ = ["FIELDS", "BufferedAccessHandler", "install_access_handler", "installed_handler"]

FIELDS = (
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

# Printable ASCII but '"' and '\\': JSON strings that need no escaping.
_PLAIN = re.compile(r"[ !#-\[\]-~]*").fullmatch
_LEVEL_NAMES = {level: logging.getLevelName(level).lower() for level in (10, 20, 30, 40, 50)}


def _level_name(level: int) -> str:
    return _LEVEL_NAMES.get(level) or logging.getLevelName(level).lower()


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
        self._second = -1  # the whole second ``_stamp`` is for (strftime once per second)
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        payload = base_fields(record)
        for key in FIELDS:
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
        self._append(line)

    def serves(self, logger: logging.Logger, level: int) -> bool:
        """True when a line at ``level`` on ``logger`` would come here and only here, unfiltered:
        then ``write`` may be used instead of ``logger.log`` (same line, no LogRecord)."""
        handlers = logger.handlers
        return (
            len(handlers) == 1
            and handlers[0] is self
            and not logger.propagate
            and not logger.filters
            and not self.filters
            and level >= self.level
        )

    def write_values(self, level: int, logger_name: str, message: str, values: tuple[Any, ...]) -> None:
        """The line ``emit`` writes for a record with these ``extra`` fields (values in
        ``FIELDS`` order, None: left out), built directly: no LogRecord (its constructor and
        the caller lookup were most of the access log's CPU per request). Byte for byte the
        same as ``format``."""
        payload: dict[str, Any] = {
            "ts": self._timestamp(),
            "level": _level_name(level),
            "logger": logger_name,
            "msg": message,
        }
        for key, value in zip(FIELDS, values, strict=True):
            if value is not None:
                payload[key] = value
        try:
            line = json.dumps(payload, default=str) + "\n"
        except Exception:  # as handleError would: report, never raise into the request
            sys.stderr.write(f"access log line failed for {message!r}\n")
            return
        self._append(line)

    def write_access(self, level: int, logger_name: str, message: str, values: tuple[Any, ...]) -> None:
        """``write_values`` for an access line: byte for byte the same line, put together in
        one f-string (on this Python every function call costs ~0.2 µs, and a ``json.dumps``
        of the dict, or a helper per field, was most of the access log's CPU per request).
        The strings that may need JSON escaping are checked together by one regex match (a
        match per string cost three times as much); if any does, ``write_values`` makes the
        line. ``method`` (an HTTP token) never needs it."""
        request_id, method, path, query, status, duration_ms, route, service, instance, attempts, client = (
            values
        )
        strings = (
            f"{message}{request_id}{path}{route}{query or ''}{service or ''}{instance or ''}{client or ''}"
        )
        if not _PLAIN(strings):
            self.write_values(level, logger_name, message, values)
            return
        q = "" if query is None else ', "query": "' + query + '"'
        svc = "" if service is None else ', "service": "' + service + '"'
        inst = "" if instance is None else ', "instance": "' + instance + '"'
        tries = "" if attempts is None else ', "attempts": ' + str(attempts)
        peer = "" if client is None else ', "client": "' + client + '"'
        self._append(
            f'{{"ts": "{self._timestamp()}", "level": "{_level_name(level)}", '
            f'"logger": "{logger_name}", "msg": "{message}", '
            f'"request_id": "{request_id}", "method": "{method}", "path": "{path}"{q}, "status": {status}, '
            f'"duration_ms": {duration_ms!r}, "route": "{route}"{svc}{inst}{tries}{peer}}}\n'
        )

    def _timestamp(self) -> str:
        """Now, as ``base_fields`` writes it (strftime once per second)."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        return f"{self._stamp}.{int((now - second) * 1000):03d}Z"

    def _append(self, line: str) -> None:
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
    global _installed
    logger = logging.getLogger(logger_name)
    handler = BufferedAccessHandler()
    logger.handlers[:] = [handler]
    logger.propagate = False
    _installed = handler
    return handler


_installed: BufferedAccessHandler | None = None


def installed_handler() -> BufferedAccessHandler | None:
    """The handler ``install_access_handler`` put in place last (``serves`` checks it is still there)."""
    return _installed
