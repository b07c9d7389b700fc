"""/v1/txn KV transactions against a real dev agent (py-consul and raw HTTP).

Consul sources followed: agent/txn_endpoint.go, agent/consul/txn_endpoint.go (preCheck),
agent/consul/state/txn.go (verbs, results, error texts), website/content/api-docs/txn.mdx.
"""

from __future__ import annotations

import base64

import consul
import httpx
import pytest


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _kv(verb: str, key: str, **fields: object) -> dict[str, object]:
    return {"KV": {"Verb": verb, "Key": key, **fields}}


def test_writes_apply_together_and_results_hide_values(client: consul.Consul) -> None:
    """set/cas results carry the entry with Value null; get carries the value; deletes add nothing."""
    out = client.txn.put(
        [
            _kv("set", "txn1/a", Value=_b64("1"), Flags=7),
            _kv("set", "txn1/b", Value=_b64("2")),
            _kv("cas", "txn1/c", Value=_b64("3"), Index=0),
        ]
    )
    assert out["Errors"] is None and len(out["Results"]) == 3
    first = out["Results"][0]["KV"]
    assert (first["Key"], first["Flags"], first["Value"]) == ("txn1/a", 7, None)
    assert len({r["KV"]["ModifyIndex"] for r in out["Results"]}) == 1  # one index for the whole txn
    out = client.txn.put([_kv("get", "txn1/a"), _kv("delete", "txn1/b"), _kv("get-tree", "txn1/")])
    assert out["Results"][0]["KV"]["Value"] == _b64("1")
    assert [r["KV"]["Key"] for r in out["Results"][1:]] == ["txn1/a", "txn1/c"]


def test_one_failure_rolls_everything_back_with_409(agent_url: str, client: consul.Consul) -> None:
    """All operations run; every failure is listed with its OpIndex; nothing is applied."""
    client.kv.put("txn2/x", "old")
    index = client.kv.get("txn2/x")[1]["ModifyIndex"]
    r = httpx.put(
        f"{agent_url}/v1/txn",
        json=[
            _kv("set", "txn2/x", Value=_b64("new")),
            _kv("set", "txn2/y", Value=_b64("new")),
            _kv("cas", "txn2/x", Value=_b64("z"), Index=index + 1000),
            _kv("get", "txn2/missing"),
            _kv("check-not-exists", "txn2/x"),
        ],
    )
    assert r.status_code == 409
    assert r.json() == {
        "Results": None,
        "Errors": [
            {"OpIndex": 2, "What": 'failed to set key "txn2/x", index is stale'},
            {"OpIndex": 3, "What": 'key "txn2/missing" doesn\'t exist'},
            {"OpIndex": 4, "What": 'key "txn2/x" exists'},
        ],
    }
    _, entry = client.kv.get("txn2/x")
    assert entry["Value"] == b"old" and entry["ModifyIndex"] == index
    assert client.kv.get("txn2/y")[1] is None


def test_check_index_and_cas_guard_a_write(agent_url: str, client: consul.Consul) -> None:
    client.kv.put("txn3/flow", "v1")
    index = client.kv.get("txn3/flow")[1]["ModifyIndex"]
    ok = [_kv("check-index", "txn3/flow", Index=index), _kv("set", "txn3/other", Value=_b64("x"))]
    assert httpx.put(f"{agent_url}/v1/txn", json=ok).status_code == 200
    r = httpx.put(f"{agent_url}/v1/txn", json=ok)  # unchanged key, same index: still fine
    assert r.status_code == 200
    client.kv.put("txn3/flow", "v2")
    r = httpx.put(f"{agent_url}/v1/txn", json=ok)
    assert r.status_code == 409
    new_index = client.kv.get("txn3/flow")[1]["ModifyIndex"]
    assert r.json()["Errors"] == [
        {
            "OpIndex": 0,
            "What": f'failed index check for key "txn3/flow", current modify index {new_index} != {index}',
        }
    ]


def test_lock_unlock_and_check_session(agent_url: str, client: consul.Consul) -> None:
    sid = httpx.put(f"{agent_url}/v1/session/create", json={"Checks": [], "LockDelay": "1s"}).json()["ID"]
    out = client.txn.put([_kv("lock", "txn4/leader", Value=_b64("me"), Session=sid)])
    assert out["Results"][0]["KV"]["Session"] == sid and out["Results"][0]["KV"]["LockIndex"] == 1
    assert client.txn.put([_kv("check-session", "txn4/leader", Session=sid)])["Errors"] is None
    r = httpx.put(f"{agent_url}/v1/txn", json=[_kv("check-session", "txn4/leader", Session="other")])
    assert r.json()["Errors"][0]["What"] == (
        f'failed session check for key "txn4/leader", current session "{sid}" != "other"'
    )
    r = httpx.put(f"{agent_url}/v1/txn", json=[_kv("unlock", "txn4/leader", Session="other")])
    assert r.json()["Errors"][0]["What"] == (
        'failed to unlock key "txn4/leader", lock isn\'t held, or is held by another session'
    )
    r = httpx.put(f"{agent_url}/v1/txn", json=[_kv("lock", "txn4/k", Session="nope")])
    assert r.json()["Errors"][0]["What"] == 'invalid session "nope"'
    client.session.destroy(sid)
    other = httpx.put(f"{agent_url}/v1/session/create", json={"Checks": []}).json()["ID"]
    r = httpx.put(f"{agent_url}/v1/txn", json=[_kv("lock", "txn4/leader", Session=other)])
    assert (r.status_code, r.json()["Errors"][0]["What"]) == (
        409,
        'failed to lock key "txn4/leader" due to lock delay',
    )
    client.session.destroy(other)


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        (b"{}", 400, "Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps"),
        (b"", 400, "Failed to parse body: EOF"),
        (b'[{"KV": {"Verb": "get", "Key": "k", "Flags": -1}}]', 400, None),
    ],
)
def test_bad_bodies_are_400(agent_url: str, body: bytes, status: int, text: str | None) -> None:
    r = httpx.put(f"{agent_url}/v1/txn", content=body)
    assert r.status_code == status
    if text is not None:
        assert r.text == text


def test_limits_and_unsupported_operations(agent_url: str) -> None:
    many = [_kv("get-or-empty", f"txn5/{i}") for i in range(129)]
    r = httpx.put(f"{agent_url}/v1/txn", json=many)
    assert (r.status_code, r.text) == (413, "Transaction contains too many operations (129 > 128)")
    r = httpx.put(f"{agent_url}/v1/txn", content=b"x" * 600_000)
    assert (r.status_code, r.text) == (413, "Request body too large, max size: 524288 bytes")
    r = httpx.put(
        f"{agent_url}/v1/txn", json=[_kv("get", ""), {"Node": {"Verb": "get", "Node": {"Node": "n"}}}]
    )
    assert r.status_code == 409
    assert r.json()["Errors"] == [{"OpIndex": 0, "What": "Must provide key"}]
    r = httpx.put(f"{agent_url}/v1/txn", json=[{"Node": {"Verb": "get", "Node": {"Node": "n"}}}])
    assert r.json()["Errors"] == [
        {"OpIndex": 0, "What": "Node operations are not supported by this dev agent"}
    ]
    r = httpx.put(f"{agent_url}/v1/txn", json=[_kv("get-or-empty", "txn5/none")])
    assert r.status_code == 200 and r.json()["Results"][0]["KV"]["Value"] is None
