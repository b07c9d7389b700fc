"""Which requests get an access-log line: all of them, or those matching a filter.

As Traefik's ``accessLog.filters``: with no filter set every request is logged; with some
set, a request is logged when it matches any of them: its status is in ``ACCESS_LOG_STATUS``
(codes and ranges, ``"400-599"`` or ``"200,500-503"``), it took longer than
``ACCESS_LOG_MIN_DURATION`` (a Go duration), or it took more than one attempt
(``ACCESS_LOG_RETRIED``). Metrics and statistics count every request either way; the line is
the access log's cost (~10 µs of CPU per proxied request, bench/gateway/README.md), so a busy
gateway can keep the lines worth reading (errors, slow or retried requests) and skip the rest.
"""

from __future__ import annotations

from servicekit import parse_go_duration

__all__ = ["AccessFilter", "parse_statuses"]


def parse_statuses(spec: str) -> frozenset[int]:
    """The status codes in ``"200,400-404,500-599"`` (each 100-599); ``ValueError`` naming the
    part that is wrong."""
    codes: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise ValueError(f"{part!r} is not a status code or a range such as 500-599") from None
        if not 100 <= first <= last <= 599:
            raise ValueError(f"{part!r}: status codes are 100-599, a range low-high")
        codes.update(range(first, last + 1))
    return frozenset(codes)


class AccessFilter:
    """``keeps(status, seconds, attempts)``: is this request's line written?"""

    __slots__ = ("min_seconds", "retried", "statuses")

    def __init__(
        self, statuses: frozenset[int] = frozenset(), min_seconds: float = 0.0, retried: bool = False
    ):
        self.statuses = statuses
        self.min_seconds = min_seconds
        self.retried = retried

    @classmethod
    def from_settings(cls, status: str, min_duration: str, retried: bool) -> AccessFilter | None:
        """The filter the settings describe, or None when they set none (every line kept)."""
        statuses = parse_statuses(status)
        min_seconds = parse_go_duration(min_duration) if min_duration.strip() else 0.0
        if not statuses and not min_seconds and not retried:
            return None
        return cls(statuses, min_seconds, retried)

    def keeps(self, status: int, seconds: float, attempts: int | None) -> bool:
        return (
            status in self.statuses
            or (0 < self.min_seconds < seconds)
            or (self.retried and attempts is not None and attempts > 1)
        )
