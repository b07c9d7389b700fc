"""KV locks (?acquire= / ?release=), LockIndex, Session in entries and lock-delay, as Consul's
agent/consul/state/kvs.go (kvsLockTxn/kvsUnlockTxn) and agent/consul/kvs_endpoint.go describe them."""

from __future__ import annotations

import time

import consul
import httpx

from tests.devagent.support import wait_for


def _session(agent_url: str, **body: object) -> str:
    r = httpx.put(f"{agent_url}/v1/session/create", json={"Checks": [], **body})
    assert r.status_code == 200, r.text
    return str(r.json()["ID"])


def test_acquire_release_and_lock_index(client: consul.Consul, agent_url: str) -> None:
    """The first acquire creates the key with LockIndex 1 and Session; a second session is refused;
    re-acquiring by the holder keeps LockIndex; release clears Session; the next acquire bumps it."""
    a, b = _session(agent_url), _session(agent_url)
    assert client.kv.put("locks1/leader", "a", acquire=a) is True
    _, entry = client.kv.get("locks1/leader")
    assert (entry["Session"], entry["LockIndex"], entry["Value"]) == (a, 1, b"a")
    assert client.kv.put("locks1/leader", "b", acquire=b) is False
    assert client.kv.get("locks1/leader")[1]["Value"] == b"a"
    modify = entry["ModifyIndex"]
    assert client.kv.put("locks1/leader", "a", acquire=a) is True  # same value: no write
    assert client.kv.get("locks1/leader")[1]["ModifyIndex"] == modify
    assert client.kv.put("locks1/leader", "a2", acquire=a) is True
    assert client.kv.get("locks1/leader")[1]["LockIndex"] == 1
    assert client.kv.put("locks1/leader", "x", release=b) is False  # not the holder
    assert client.kv.put("locks1/leader", "", release=a) is True
    _, entry = client.kv.get("locks1/leader")
    assert "Session" not in entry and entry["LockIndex"] == 1 and entry["Value"] is None
    assert client.kv.put("locks1/leader", "b", acquire=b) is True
    assert client.kv.get("locks1/leader")[1]["LockIndex"] == 2
    assert client.kv.put("locks1/other", "x", release=a) is False  # no such key
    for sid in (a, b):
        client.session.destroy(sid)


def test_plain_put_keeps_the_lock(client: consul.Consul, agent_url: str) -> None:
    """kvsSetTxn without updateSession keeps the holder (a plain PUT does not steal the lock)."""
    a = _session(agent_url)
    client.kv.put("locks2/k", "v", acquire=a)
    client.kv.put("locks2/k", "w")
    _, entry = client.kv.get("locks2/k")
    assert (entry["Session"], entry["Value"]) == (a, b"w")
    client.session.destroy(a)


def test_acquire_errors(agent_url: str) -> None:
    """An unknown session is Consul's 500 `invalid session "<id>"`; an empty one `missing session`;
    acquire with cas conflicts (400)."""
    r = httpx.put(f"{agent_url}/v1/kv/locks3/k?acquire=nope", content=b"v")
    assert (r.status_code, r.text) == (500, 'invalid session "nope"')
    r = httpx.put(f"{agent_url}/v1/kv/locks3/k?acquire=", content=b"v")
    assert (r.status_code, r.text) == (500, "missing session")
    r = httpx.put(f"{agent_url}/v1/kv/locks3/k?acquire=x&cas=0", content=b"v")
    assert r.status_code == 400 and r.text.startswith("Conflicting flags")


def test_destroy_releases_and_lock_delay_blocks_reacquire(client: consul.Consul, agent_url: str) -> None:
    """Behavior release: destroy clears Session (value kept) and the key cannot be acquired again
    by anyone for LockDelay; after the delay the next acquire works and bumps LockIndex."""
    a = _session(agent_url, LockDelay="1s")
    client.kv.put("locks4/leader", "a", acquire=a)
    b = _session(agent_url)
    started = time.monotonic()
    client.session.destroy(a)
    _, entry = client.kv.get("locks4/leader")
    assert "Session" not in entry and entry["Value"] == b"a"
    assert client.kv.put("locks4/leader", "b", acquire=b) is False
    wait_for(lambda: client.kv.put("locks4/leader", "b", acquire=b), timeout=3, interval=0.1, what="acquire")
    assert 0.9 < time.monotonic() - started < 3
    assert client.kv.get("locks4/leader")[1]["LockIndex"] == 2
    client.session.destroy(b)


def test_zero_lock_delay_allows_immediate_reacquire(client: consul.Consul, agent_url: str) -> None:
    a = _session(agent_url, LockDelay="0s")
    client.kv.put("locks5/leader", "a", acquire=a)
    client.session.destroy(a)
    b = _session(agent_url)
    assert client.kv.put("locks5/leader", "b", acquire=b) is True
    client.session.destroy(b)


def test_delete_behavior_removes_held_keys(client: consul.Consul, agent_url: str) -> None:
    a = _session(agent_url, Behavior="delete", LockDelay="0s")
    client.kv.put("locks6/one", "1", acquire=a)
    client.kv.put("locks6/two", "2", acquire=a)
    client.kv.put("locks6/free", "3")
    client.session.destroy(a)
    assert client.kv.get("locks6/", keys=True)[1] == ["locks6/free"]


def test_ttl_expiry_releases_the_lock_for_a_waiting_contender(client: consul.Consul, agent_url: str) -> None:
    """Leader election as the gateway does it: the holder stops renewing; a blocking watcher on the
    key wakes when the session expires (≈ 2 × TTL), and the contender acquires after the lock delay."""
    a = _session(agent_url, TTL="1s", LockDelay="500ms")
    b = _session(agent_url, TTL="10s")
    assert client.kv.put("locks7/leader", "a", acquire=a) is True
    index, _ = client.kv.get("locks7/leader")
    started = time.monotonic()
    index, entry = client.kv.get("locks7/leader", index=index, wait="10s")
    assert "Session" not in entry
    assert 1.5 < time.monotonic() - started < 4
    wait_for(lambda: client.kv.put("locks7/leader", "b", acquire=b), timeout=3, interval=0.1, what="takeover")
    assert client.kv.get("locks7/leader")[1]["Session"] == b
    client.session.destroy(b)
