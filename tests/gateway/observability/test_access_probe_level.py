"""Access log: health probes are debug lines, everything else info (make run's log shows traffic)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from gateway.observability.access_recorder import AccessRecorder
from gateway.settings import GatewaySettings


def _scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, object]:
    return {
        "path": path,
        "method": "GET",
        "headers": headers or [],
        "query_string": b"",
        "client": ("127.0.0.1", 1),
    }


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


@pytest.mark.parametrize(("path", "level"), [("/api/routes", logging.DEBUG), ("/svc/echo/x", logging.INFO)])
def test_dashboard_refreshes_log_at_debug(caplog: pytest.LogCaptureFixture, path: str, level: int) -> None:
    recorder = AccessRecorder(
        GatewaySettings(access_log=True), app_ref=SimpleNamespace(state=SimpleNamespace())
    )
    with caplog.at_level(logging.DEBUG, logger="gateway.access"):
        recorder.record(_scope(path, [(b"x-gateway-poll", b"dashboard")]), 200, 0.001)
    [record] = [r for r in caplog.records if r.name == "gateway.access"]
    assert record.levelno == level  # a proxied request is traffic whatever it says
