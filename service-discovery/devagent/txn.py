"""KV transactions (/v1/txn): every operation runs, and either all apply or none does.

Follows Consul's agent/consul/state/txn.go (txnKVS: verbs, results, error texts),
agent/consul/txn_endpoint.go (preCheck: key required, lock delay) and agent/txn_endpoint.go.
Node, Service and Check operations are not supported by this dev agent: they fail the
transaction with an error naming the operation.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from .kvstore import KVStore
from .model import KVEntry

__all__ = ["KVOp", "TxnOutcome", "WRITE_VERBS", "run_kv_txn"]

WRITE_VERBS = frozenset({"set", "delete", "delete-cas", "delete-tree", "cas", "lock", "unlock"})


def go_quote(text: str) -> str:
    """Go's %q for ordinary strings."""
    return json.dumps(text, ensure_ascii=False)


@dataclass
class KVOp:
    verb: str
    key: str
    value: bytes = b""
    flags: int = 0
    index: int = 0
    session: str = ""
    unsupported: str = ""  # "Node", "Service" or "Check" for operations this agent does not run


@dataclass
class TxnOutcome:
    results: list[tuple[KVEntry, bool]]  # (entry snapshot, include its value)
    errors: list[tuple[int, str]]  # (OpIndex, What)


class TxnError(Exception):
    pass


def _snapshot(entry: KVEntry) -> KVEntry:
    return dataclasses.replace(entry)


def _run_one(kv: KVStore, op: KVOp) -> list[tuple[KVEntry, bool]]:
    key, q = op.key, go_quote(op.key)
    verb = op.verb
    if verb == "set":
        kv.put(key, op.value, op.flags, None)
        return [(_snapshot(kv.entries[key]), False)]
    if verb == "cas":
        if not kv.put(key, op.value, op.flags, op.index):
            raise TxnError(f"failed to set key {q}, index is stale")
        return [(_snapshot(kv.entries[key]), False)]
    if verb == "lock":
        try:
            locked = kv.lock(key, op.value, op.flags, op.session)
        except ValueError as exc:
            raise TxnError(str(exc)) from None
        if not locked:
            raise TxnError(f"failed to lock key {q}, lock is already held")
        return [(_snapshot(kv.entries[key]), False)]
    if verb == "unlock":
        try:
            unlocked = kv.unlock(key, op.value, op.flags, op.session)
        except ValueError as exc:
            raise TxnError(str(exc)) from None
        if not unlocked:
            raise TxnError(f"failed to unlock key {q}, lock isn't held, or is held by another session")
        return [(_snapshot(kv.entries[key]), False)]
    if verb == "delete":
        kv.delete(key, None)
        return []
    if verb == "delete-cas":
        existing = kv.get(key)
        if existing is not None and existing.modify_index != op.index:
            raise TxnError(f"failed to delete key {q}, index is stale")
        kv.delete(key, None)
        return []
    if verb == "delete-tree":
        kv.delete_tree(key)
        return []
    existing = kv.get(key)
    if verb == "get":
        if existing is None:
            raise TxnError(f"key {q} doesn't exist")
        return [(_snapshot(existing), True)]
    if verb == "get-or-empty":
        if existing is None:
            return [(KVEntry(key, b"", op.flags, 0, op.index, session=op.session), True)]
        return [(_snapshot(existing), True)]
    if verb == "get-tree":
        return [(_snapshot(e), True) for e in kv.prefix_entries(key)]
    if verb == "check-index":
        if existing is None:
            raise TxnError(f"failed to check index, key {q} doesn't exist")
        if existing.modify_index != op.index:
            raise TxnError(
                f"failed index check for key {q}, current modify index {existing.modify_index} != {op.index}"
            )
        return [(_snapshot(existing), False)]
    if verb == "check-session":
        if existing is None:
            raise TxnError(f"failed to check session, key {q} doesn't exist")
        if existing.session != op.session:
            raise TxnError(
                f"failed session check for key {q}, current session "
                f"{go_quote(existing.session)} != {go_quote(op.session)}"
            )
        return [(_snapshot(existing), False)]
    if verb == "check-not-exists":
        if existing is not None:
            raise TxnError(f"key {q} exists")
        return []
    raise TxnError(f"unknown KV verb {go_quote(verb)}")


def _pre_check(kv: KVStore, ops: list[KVOp]) -> list[tuple[int, str]]:
    """Txn.preCheck / kvsPreApply: a key is required (except delete-tree); locks honour lock delay."""
    errors: list[tuple[int, str]] = []
    for i, op in enumerate(ops):
        if op.unsupported:
            continue
        if not op.key and op.verb != "delete-tree":
            errors.append((i, "Must provide key"))
        elif op.verb == "lock" and kv.in_lock_delay(op.key):
            errors.append((i, f"failed to lock key {go_quote(op.key)} due to lock delay"))
    return errors


def run_kv_txn(kv: KVStore, ops: list[KVOp]) -> TxnOutcome:
    """Run every operation in order, collecting all errors; roll everything back if any failed."""
    errors = _pre_check(kv, ops)
    if errors:
        return TxnOutcome([], errors)
    results: list[tuple[KVEntry, bool]] = []
    kv.begin()
    try:
        for i, op in enumerate(ops):
            if op.unsupported:
                errors.append((i, f"{op.unsupported} operations are not supported by this dev agent"))
                continue
            try:
                results.extend(_run_one(kv, op))
            except TxnError as exc:
                errors.append((i, str(exc)))
    except BaseException:
        kv.rollback()
        raise
    if errors:
        kv.rollback()
        return TxnOutcome([], errors)
    kv.commit()
    return TxnOutcome(results, [])


def entry_result(entry: KVEntry, with_value: bool, render: Any) -> dict[str, Any]:
    out: dict[str, Any] = render(entry)
    if not with_value:
        out["Value"] = None
    return {"KV": out}
