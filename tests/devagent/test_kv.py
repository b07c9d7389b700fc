"""KV store semantics (contract §8) via py-consul and raw HTTP against a real dev agent process."""

from __future__ import annotations

import threading
import time

import consul
import httpx


def test_put_get_flags_and_null_value(client: consul.Consul, agent_url: str) -> None:
    """§8: put/get round trip, DirEntry fields, flags, empty value → null."""
    assert client.kv.put("kv1/a", "hello", flags=42) is True
    _, entry = client.kv.get("kv1/a")
    assert entry["Value"] == b"hello" and entry["Flags"] == 42 and entry["LockIndex"] == 0
    assert entry["CreateIndex"] == entry["ModifyIndex"]
    raw = httpx.get(f"{agent_url}/v1/kv/kv1/a").json()[0]
    assert set(raw) == {"LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"}
    assert raw["Value"] == "aGVsbG8="
    assert client.kv.put("kv1/empty", "") is True
    assert httpx.get(f"{agent_url}/v1/kv/kv1/empty").json()[0]["Value"] is None
    client.kv.put("kv1/a", "again")
    _, entry2 = client.kv.get("kv1/a")
    assert entry2["Flags"] == 0 and entry2["ModifyIndex"] > entry["ModifyIndex"]
    assert entry2["CreateIndex"] == entry["CreateIndex"]


def test_missing_key_404_with_index(client: consul.Consul, agent_url: str) -> None:
    """§8: a missing key is 404 with an empty body and X-Consul-Index (py-consul needs it)."""
    index, value = client.kv.get("kv-missing/x")
    assert value is None and int(index) >= 1
    r = httpx.get(f"{agent_url}/v1/kv/kv-missing/x")
    assert (r.status_code, r.content) == (404, b"") and r.headers["X-Consul-KnownLeader"] == "true"
    r = httpx.get(f"{agent_url}/v1/kv/")
    assert (r.status_code, r.text) == (400, "Missing key name")


def test_raw_recurse_keys_separator(client: consul.Consul, agent_url: str) -> None:
    """§8: ?raw returns bytes as text/plain; recurse lists a prefix; keys with separator roll up."""
    for key in ("tree/base/base/x", "tree/base/foo", "tree/base/zip/y", "tree/other"):
        client.kv.put(key, key)
    r = httpx.get(f"{agent_url}/v1/kv/tree/other?raw")
    assert (r.content, r.headers["Content-Type"]) == (b"tree/other", "text/plain")
    _, entries = client.kv.get("tree/base/", recurse=True)
    assert [e["Key"] for e in entries] == ["tree/base/base/x", "tree/base/foo", "tree/base/zip/y"]
    _, keys = client.kv.get("tree/base/", keys=True, separator="/")
    assert keys == ["tree/base/base/", "tree/base/foo", "tree/base/zip/"]
    _, keys = client.kv.get("tree/", keys=True)
    assert len(keys) == 4
    assert client.kv.get("nothing-here/", keys=True)[1] is None
    assert client.kv.get("nothing-here/", recurse=True)[1] is None


def test_cas_and_delete(client: consul.Consul, agent_url: str) -> None:
    """§8: cas=0 creates only if absent; cas=<index> must match; delete cas; recurse; conflicts → 400."""
    assert client.kv.put("cas/k", "1", cas=0) is True
    assert client.kv.put("cas/k", "2", cas=0) is False
    _, entry = client.kv.get("cas/k")
    assert client.kv.put("cas/k", "3", cas=entry["ModifyIndex"] + 1000) is False
    assert client.kv.put("cas/k", "3", cas=entry["ModifyIndex"]) is True
    _, entry = client.kv.get("cas/k")
    assert client.kv.delete("cas/k", cas=entry["ModifyIndex"] - 1) is False
    assert client.kv.delete("cas/k", cas=entry["ModifyIndex"]) is True
    assert client.kv.delete("cas/never") is True
    client.kv.put("rm/a", "1")
    client.kv.put("rm/b/c", "1")
    assert client.kv.delete("rm/", recurse=True) is True
    assert client.kv.get("rm/", recurse=True)[1] is None
    r = httpx.put(f"{agent_url}/v1/kv/x?cas=1&acquire=abc", content=b"v")
    assert (r.status_code, r.text) == (400, "Conflicting flags: cas=1&acquire=abc\n")
    r = httpx.delete(f"{agent_url}/v1/kv/x?recurse&cas=1")
    assert r.status_code == 400 and r.text.startswith("Conflicting flags: ")


def test_value_too_large_413(agent_url: str) -> None:
    """§8: a body over 512 KiB → 413 with Consul's message."""
    r = httpx.put(f"{agent_url}/v1/kv/big", content=b"x" * (524288 + 1))
    assert r.status_code == 413
    assert r.text.startswith("Request body(524289 bytes) too large, max size: 524288 bytes.")


def test_kv_blocking_on_a_key_and_a_prefix(client: consul.Consul) -> None:
    """§6.5: a blocked get on a missing key wakes when the key is created; timeouts keep the index."""
    index, _ = client.kv.get("blk/key")
    t = threading.Thread(target=lambda: (time.sleep(0.3), client.kv.put("blk/key", "v")), daemon=True)
    t.start()
    t0 = time.monotonic()
    new_index, entry = client.kv.get("blk/key", index=index, wait="10s")
    t.join()
    assert time.monotonic() - t0 >= 0.25 and entry["Value"] == b"v" and int(new_index) > int(index)
    same, _ = client.kv.get("blk/key", index=new_index, wait="300ms")
    assert same == new_index
