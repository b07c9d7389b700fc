"""Passive ejection: N consecutive failures, T seconds, never more than the allowed share."""

from __future__ import annotations

import time

from gateway.discovery import Instance
from gateway.upstream import Ejector


def insts(n: int) -> tuple[Instance, ...]:
    return tuple(Instance(service="s", id=f"s-{i}", address="127.0.0.1", port=9000 + i) for i in range(n))


def test_ejects_after_n_consecutive_failures_for_t_seconds() -> None:
    ej = Ejector(failures=3, seconds=0.2, max_share=0.5)
    pool = insts(3)
    assert not ej.failure(pool[0], pool)
    assert not ej.failure(pool[0], pool)
    assert ej.failure(pool[0], pool)
    assert ej.is_ejected("s-0")
    assert [i.id for i in ej.filter(pool)] == ["s-1", "s-2"]
    time.sleep(0.25)
    assert not ej.is_ejected("s-0")
    assert ej.ejections == 1


def test_success_resets_the_count() -> None:
    ej = Ejector(failures=2, seconds=10, max_share=1)
    pool = insts(2)
    ej.failure(pool[0], pool)
    ej.success("s-0")
    assert not ej.failure(pool[0], pool)
    assert ej.failure(pool[0], pool)


def test_never_more_than_the_share_and_never_the_last() -> None:
    ej = Ejector(failures=1, seconds=10, max_share=0.5)
    pool = insts(4)
    assert ej.allowed(4) == 2
    assert ej.failure(pool[0], pool)
    assert ej.failure(pool[1], pool)
    assert not ej.failure(pool[2], pool)  # would exceed half
    assert ej.ejected_ids(pool) == ["s-0", "s-1"]
    full = Ejector(failures=1, seconds=10, max_share=1.0)
    two = insts(2)
    assert full.failure(two[0], two)
    assert not full.failure(two[1], two)  # never all of them
    single = insts(1)
    assert not Ejector(failures=1).failure(single[0], single)


def test_forget_drops_departed_instances() -> None:
    ej = Ejector(failures=1, seconds=10, max_share=1)
    pool = insts(3)
    ej.failure(pool[0], pool)
    ej.forget({"s-1", "s-2"})
    assert not ej.is_ejected("s-0")
