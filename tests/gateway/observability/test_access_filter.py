"""ACCESS_LOG_STATUS / ACCESS_LOG_MIN_DURATION / ACCESS_LOG_RETRIED: which requests get a line."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from gateway.observability.access_filter import AccessFilter, parse_statuses
from gateway.observability.access_recorder import AccessRecorder
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.stats import StatisticsStore
from gateway.settings import GatewaySettings


def test_status_specs() -> None:
    assert parse_statuses("") == frozenset()
    assert parse_statuses("200, 404") == {200, 404}
    assert parse_statuses("500-503,429") == {429, 500, 501, 502, 503}
    assert len(parse_statuses("100-599")) == 500


@pytest.mark.parametrize("spec", ["abc", "99", "600", "503-500", "4xx", "200-"])
def test_bad_status_specs_name_the_part(spec: str) -> None:
    with pytest.raises(ValueError, match=spec.split(",")[0]):
        parse_statuses(spec)


def test_bad_settings_are_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="access_log_status"):
        GatewaySettings(access_log_status="5xx")
    with pytest.raises(ValidationError, match="access_log_min_duration"):
        GatewaySettings(access_log_min_duration="fast")


def test_no_filter_set_keeps_everything() -> None:
    assert AccessFilter.from_settings("", "", False) is None
    assert AccessFilter.from_settings(" ", "0s", False) is None


def test_any_filter_that_matches_keeps_the_line() -> None:
    keep = AccessFilter.from_settings("500-599", "250ms", True)
    assert keep is not None
    assert keep.keeps(503, 0.001, 1)  # status
    assert keep.keeps(200, 0.3, 1)  # slow
    assert keep.keeps(200, 0.001, 2)  # retried
    assert not keep.keeps(200, 0.2, 1)
    assert not keep.keeps(404, 0.001, None)  # no upstream call: no attempts
    only_status = AccessFilter.from_settings("404", "", False)
    assert only_status is not None and not only_status.keeps(200, 10.0, 3)


def _scope(status_path: str, attempts: int | None) -> dict[str, object]:
    scope: dict[str, object] = {
        "path": status_path,
        "method": "GET",
        "headers": [],
        "query_string": b"",
        "client": ("127.0.0.1", 1),
    }
    if attempts is not None:
        scope["gateway.attempts"] = attempts
    return scope


def test_recorder_writes_only_kept_lines_and_counts_every_request(caplog: pytest.LogCaptureFixture) -> None:
    settings = GatewaySettings(access_log_status="500-599", access_log_retried=True)
    recorder = AccessRecorder(settings)
    core = SimpleNamespace(
        metrics=GatewayMetrics(),
        stats=StatisticsStore(),
        discovery=SimpleNamespace(table=SimpleNamespace(services={})),
    )
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        recorder.record(_scope("/api/a", None), 200, 0.001, core)
        recorder.record(_scope("/api/b", None), 502, 0.001, core)
        recorder.record(_scope("/api/c", 2), 200, 0.001, core)
        recorder.record(_scope("/api/d", 1), 404, 0.001, core)
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
    assert lines == ["GET /api/b 502", "GET /api/c 200"]
    counted = core.metrics.registry.get_sample_value(
        "gateway_requests_total", {"route": "unmatched", "service": "", "status": "200"}
    )
    assert counted == 2  # the metrics count the requests without a line too
