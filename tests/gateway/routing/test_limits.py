from __future__ import annotations

import time

from gateway.policy import RateLimit
from gateway.routing import Limits, TokenBucket


def test_token_bucket() -> None:
    bucket = TokenBucket(RateLimit(2.0, 3))
    now = time.monotonic()
    assert [bucket.take(now) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take(now)
    assert 0.49 < wait <= 0.5
    assert bucket.take(now + 0.5) == 0.0


def test_rate_rejection_has_retry_after() -> None:
    limits = Limits()
    rate = RateLimit(0.5, 1)
    assert limits.admit("s", rate, None) is None
    rejected = limits.admit("s", rate, None)
    assert rejected is not None and rejected.status == 429 and rejected.retry_after == 2


def test_max_in_flight() -> None:
    limits = Limits()
    assert limits.admit("s", None, 2) is None and limits.admit("s", None, 2) is None
    rejected = limits.admit("s", None, 2)
    assert rejected is not None and rejected.status == 503 and rejected.retry_after == 1
    limits.release("s")
    assert limits.in_flight("s") == 1 and limits.admit("s", None, 2) is None


def test_admitted_releases_its_slot_however_the_block_ends() -> None:
    limits = Limits()
    with limits.admitted("svc", None, 1) as rejected:
        assert rejected is None and limits.in_flight("svc") == 1
        with limits.admitted("svc", None, 1) as second:
            assert second is not None and second.status == 503  # nothing taken: nothing released
        assert limits.in_flight("svc") == 1
    assert limits.in_flight("svc") == 0
    try:
        with limits.admitted("svc", None, 1):
            raise RuntimeError("the upstream call failed")
    except RuntimeError:
        pass
    assert limits.in_flight("svc") == 0
