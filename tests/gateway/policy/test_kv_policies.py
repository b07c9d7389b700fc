from __future__ import annotations

from gateway.consul_client import KVEntry
from gateway.policy import parse_kv_policies

PREFIX = "consul-gateway/policies/"


def test_parse_entries() -> None:
    entries = (
        KVEntry(PREFIX, b""),  # the folder
        KVEntry(PREFIX + "web", b'{"rate": 5, "split": {"v1": 90, "v2": 10}}'),
        KVEntry(PREFIX + "broken", b"{nope"),
        KVEntry(PREFIX + "list", b"[1, 2]"),
        KVEntry(PREFIX + "deep/er", b"{}"),
    )
    policies, errors = parse_kv_policies(PREFIX, entries)
    assert policies == {"web": {"rate": 5, "split": {"v1": 90, "v2": 10}}}
    assert sorted(e.service for e in errors) == ["broken", "deep/er", "list"]
    assert all(e.source == "kv" for e in errors)
