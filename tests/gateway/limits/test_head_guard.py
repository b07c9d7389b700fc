"""limits.head: the server-agnostic head bookkeeping (unit tests; the integration tests drive
it through a running gateway over raw sockets)."""

from __future__ import annotations

import pytest

from gateway.limits import HeadGuard, HeadLimits, HeadRejected, limit_response

LIMITS = HeadLimits(max_request_line=100, max_header_bytes=1000, max_headers=3, header_timeout=2.0)


def test_url_over_the_limit_is_414() -> None:
    guard = HeadGuard(LIMITS, now=0.0)
    guard.url(60)
    with pytest.raises(HeadRejected) as info:
        guard.url(60)
    assert info.value.status == 414


def test_too_many_fields_is_431() -> None:
    guard = HeadGuard(LIMITS, now=0.0)
    for _ in range(3):
        guard.header()
    with pytest.raises(HeadRejected) as info:
        guard.header()
    assert info.value.status == 431


def test_incomplete_head_over_the_size_is_431_or_414() -> None:
    guard = HeadGuard(LIMITS, now=0.0)
    guard.received(999, 0.1)
    guard.check_size()
    guard.header()
    guard.received(2, 0.2)
    with pytest.raises(HeadRejected) as info:
        guard.check_size()
    assert info.value.status == 431
    only_url = HeadGuard(LIMITS, now=0.0)
    only_url.url(80)
    only_url.received(1001, 0.1)
    with pytest.raises(HeadRejected) as info:
        only_url.check_size()
    assert info.value.status == 414


def test_deadline_runs_from_accept_then_from_each_heads_first_byte() -> None:
    guard = HeadGuard(LIMITS, now=10.0)
    assert guard.overdue(11.0) == pytest.approx(-1.0)
    assert guard.overdue(12.5) == pytest.approx(0.5)
    guard.received(10, 11.0)
    guard.complete()
    assert guard.overdue(100.0) is None  # a request is running: no head deadline
    guard.received(10_000, 50.0)  # body bytes do not count against the head
    guard.check_size()
    guard.next_request()
    assert guard.overdue(100.0) is None  # idle between requests (keep-alive timer's job)
    guard.received(5, 100.0)
    assert guard.overdue(101.0) == pytest.approx(-1.0)


def test_limit_response_is_a_complete_closing_answer() -> None:
    data = limit_response(431, "too big")
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    assert b"connection: close" in head and f"content-length: {len(body)}".encode() in head
