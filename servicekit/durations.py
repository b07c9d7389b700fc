"""Go ``time.Duration`` parsing and formatting: the one duration parser of the project.

Consul speaks Go durations (``10s``, ``1m30s``, ``250ms``) in check definitions, ``wait`` and session
TTLs; the dev agent mirrors ``time.ParseDuration`` exactly (nanoseconds, Go's error texts) and the
services and the gateway read their ``*_INTERVAL``/``*_TIMEOUT`` settings with it (seconds).  This
module imports nothing beyond the standard library, so the dev agent can use it without pulling in
the rest of servicekit.
"""

from __future__ import annotations

import re

__all__ = ["DurationError", "format_duration", "parse_duration", "parse_go_duration"]

NS = 1
US = 1_000
MS = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {"ns": NS, "us": US, "µs": US, "μs": US, "ms": MS, "s": SECOND, "m": MINUTE, "h": HOUR}
_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


class DurationError(ValueError):
    """Raised with Go's exact error text (``time: invalid duration "x"``)."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_duration(text: str) -> int:
    """Parse a Go duration string into nanoseconds, mirroring ``time.ParseDuration``."""
    orig = text
    if not text:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    neg = False
    if text[0] in "+-":
        neg = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match.end() == pos:
            raise DurationError(f"time: invalid duration {_quote(orig)}")
        number, unit = match.group(1), match.group(2)
        if number in ("", "."):
            raise DurationError(f"time: invalid duration {_quote(orig)}")
        if not unit:
            raise DurationError(f"time: missing unit in duration {_quote(orig)}")
        if unit not in _UNITS:
            raise DurationError(f"time: unknown unit {_quote(unit)} in duration {_quote(orig)}")
        total += float(number) * _UNITS[unit]
        pos = match.end()
    if total > 2**63 - 1:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    value = int(round(total))
    return -value if neg else value


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration such as ``"10s"``, ``"1m30s"`` or ``"250ms"`` (settings: never negative)."""
    seconds = parse_duration(text.strip()) / SECOND
    if seconds < 0:
        raise DurationError(f"negative duration {text.strip()!r} (expected e.g. '10s', '500ms', '1m30s')")
    return seconds


def _fmt_frac(value: int, prec: int) -> tuple[str, int]:
    """Split ``value`` into integer part and trimmed fraction of ``prec`` digits (Go's fmtFrac)."""
    digits = ""
    printed = False
    for _ in range(prec):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printed else ""), value


def format_duration(ns: int) -> str:
    """Format nanoseconds like Go's ``Duration.String`` (``10s``, ``1m30s``, ``100ms``, ``1h0m0s``)."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < SECOND:
        if u < US:
            return f"{sign}{u}ns"
        if u < MS:
            frac, whole = _fmt_frac(u, 3)
            return f"{sign}{whole}{frac}µs"
        frac, whole = _fmt_frac(u, 6)
        return f"{sign}{whole}{frac}ms"
    frac, secs = _fmt_frac(u, 9)
    out = f"{secs % 60}{frac}s"
    mins = secs // 60
    if mins > 0:
        out = f"{mins % 60}m{out}"
        hours = mins // 60
        if hours > 0:
            out = f"{hours}h{out}"
    return sign + out
