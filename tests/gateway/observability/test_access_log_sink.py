"""observability.access_log_sink: the direct ``write_values`` and ``write_access`` give the same
line as a logged record."""

from __future__ import annotations

import io
import json
import logging

from gateway.observability import access_log_sink
from gateway.observability.access_log_sink import BufferedAccessHandler

FIELDS = {
    "request_id": "r1",
    "method": "POST",
    "path": "/svc/echo/é",
    "query": None,
    "status": 200,
    "duration_ms": 1.25,
    "route": "/svc/{service}/{path}",
    "service": "echo",
    "instance": "127.0.0.1:9",
    "attempts": 1,
    "client": "127.0.0.1",
}


def _write(
    handler: BufferedAccessHandler, level: int, logger: str, message: str, fields: dict[str, object]
) -> None:
    """``write_values`` with the values taken from ``fields`` by name."""
    handler.write_values(level, logger, message, tuple(fields.get(key) for key in access_log_sink.FIELDS))


def _lines(handler: BufferedAccessHandler, stream: io.StringIO) -> list[str]:
    handler.flush()
    return stream.getvalue().splitlines()


def test_write_matches_the_logged_line_except_the_time() -> None:
    stream = io.StringIO()
    handler = BufferedAccessHandler(stream)
    logger = logging.getLogger("test.access.sink")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.log(logging.INFO, "%s %s %d", "POST", "/svc/echo/é", 200, extra=FIELDS)
    _write(handler, logging.INFO, logger.name, "POST /svc/echo/é 200", FIELDS)
    logged, written = (json.loads(line) for line in _lines(handler, stream))
    assert logged.pop("ts")[:10] == written.pop("ts")[:10]
    assert logged == written
    assert list(logged) == list(written)  # same key order, so the same bytes
    assert "query" not in written  # None fields are left out, as in format()


def test_serves_only_when_it_is_the_logger_s_only_unfiltered_handler() -> None:
    handler = BufferedAccessHandler(io.StringIO())
    logger = logging.getLogger("test.access.serves")
    logger.handlers[:] = [handler]
    logger.propagate = False
    assert handler.serves(logger, logging.INFO)
    logger.propagate = True
    assert not handler.serves(logger, logging.INFO)  # the root would see the line too
    logger.propagate = False
    logger.addFilter(lambda record: True)
    assert not handler.serves(logger, logging.INFO)
    logger.filters.clear()
    logger.addHandler(logging.NullHandler())
    assert not handler.serves(logger, logging.INFO)


def test_timestamp_has_milliseconds_and_utc_suffix() -> None:
    stream = io.StringIO()
    handler = BufferedAccessHandler(stream)
    _write(handler, logging.DEBUG, "gateway.access", "GET /health 200", {"status": 200})
    line = json.loads(_lines(handler, stream)[0])
    assert (
        line["level"] == "debug"
        and line["ts"].endswith("Z")
        and len(line["ts"]) == len("2026-11-30T14:00:00.123Z")
    )


def test_write_access_is_write_byte_for_byte() -> None:
    """The one-f-string line equals the generic one, for plain values and for values that
    need JSON escaping (quotes, backslashes, controls, non-ASCII) or are left out."""
    cases = [
        {**FIELDS, "path": "/svc/echo/x", "query": "a=1&b=2"},
        FIELDS,  # "é": escaped
        {**FIELDS, "path": "/svc/echo/x", "request_id": 'r"1\\', "service": None, "instance": None},
        {**FIELDS, "path": "/svc/echo/\x7f", "attempts": None, "client": None},
    ]
    for fields in cases:
        stream = io.StringIO()
        handler = BufferedAccessHandler(stream)
        message = f"POST {fields['path']} 200"
        _write(handler, logging.INFO, "gateway.access", message, fields)
        handler.write_access(logging.INFO, "gateway.access", message, tuple(fields.values()))
        generic, direct = _lines(handler, stream)
        assert generic.split('"level"', 1)[1] == direct.split('"level"', 1)[1]
        assert json.loads(direct)["path"] == fields["path"]
