"""The one Go duration parser (servicekit.durations), used by the dev agent and every service."""

from __future__ import annotations

import pytest

from servicekit import parse_go_duration
from servicekit.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "ns", "formatted"),
    [
        ("10s", 10**10, "10s"),
        ("100ms", 10**8, "100ms"),
        ("1m30s", 9 * 10**10, "1m30s"),
        ("1h", 3600 * 10**9, "1h0m0s"),
        ("1.5s", 15 * 10**8, "1.5s"),
        ("0", 0, "0s"),
        ("2us", 2000, "2µs"),
    ],
)
def test_go_durations_parse_to_nanoseconds_and_format_back(text: str, ns: int, formatted: str) -> None:
    """Go duration strings parse to nanoseconds and format back like Duration.String."""
    assert parse_duration(text) == ns
    assert format_duration(ns) == formatted


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("abc", 'time: invalid duration "abc"'),
        ("10", 'time: missing unit in duration "10"'),
        ("5y", 'time: unknown unit "y" in duration "5y"'),
        ("", 'time: invalid duration ""'),
    ],
)
def test_bad_durations_raise_go_error_texts(text: str, error: str) -> None:
    """invalid durations raise Go's exact message."""
    with pytest.raises(DurationError, match="^" + error.replace("(", r"\(") + "$"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("10s", 10.0), ("250ms", 0.25), ("1m30s", 90.0), ("1h", 3600.0), ("1.5s", 1.5)]
)
def test_settings_durations_are_seconds(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "s", "10x", "5s garbage", "-1s"])
def test_settings_durations_reject_bare_numbers_junk_and_negatives(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


def test_dev_agent_and_services_share_the_parser() -> None:
    import devagent.decode
    import servicekit.settings

    assert devagent.decode.parse_duration is parse_duration
    assert servicekit.settings.parse_go_duration is parse_go_duration
