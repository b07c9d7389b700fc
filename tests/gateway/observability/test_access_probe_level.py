"""Access log: health probes are debug lines, everything else info (make run's log shows traffic)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from gateway.observability.access_recorder import AccessRecorder
from gateway.settings import GatewaySettings


def _scope(path: str) -> dict[str, object]:
    return {"path": path, "method": "GET", "headers": [], "query_string": b"", "client": ("127.0.0.1", 1)}


@pytest.mark.parametrize(
    ("path", "level"), [("/health", logging.DEBUG), ("/ready", logging.DEBUG), ("/api/routes", logging.INFO)]
)
def test_probe_paths_log_at_debug(caplog: pytest.LogCaptureFixture, path: str, level: int) -> None:
    recorder = AccessRecorder(
        GatewaySettings(access_log=True), app_ref=SimpleNamespace(state=SimpleNamespace())
    )
    with caplog.at_level(logging.DEBUG, logger="gateway.access"):
        recorder.record(_scope(path), 200, 0.001)
    [record] = [r for r in caplog.records if r.name == "gateway.access"]
    assert record.levelno == level and record.getMessage() == f"GET {path} 200"
