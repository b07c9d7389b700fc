"""servicekit.logconfig: one JSON object per line with extra fields."""

from __future__ import annotations

import json
import logging

from servicekit import JsonFormatter


def test_json_line_carries_extras_and_no_ansi_duplicate() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.request_id = "abc"
    record.color_message = "\x1b[36mhello\x1b[0m"
    line = JsonFormatter().format(record)
    payload = json.loads(line)
    assert payload["msg"] == "hello world" and payload["level"] == "info" and payload["logger"] == "svc"
    assert payload["request_id"] == "abc"
    assert "color_message" not in payload
