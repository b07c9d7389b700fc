"""ACLs (dev mode) against a real dev agent started with --acl-enabled and an initial management token.

Consul sources followed: website/content/api-docs/acl/{index,tokens,policies}.mdx, the "ACL Required"
columns of the API docs, agent/http.go parseToken (?token=, X-Consul-Token, Authorization: Bearer),
acl/errors.go (Permission denied / ACL not found) and agent/agent_endpoint.go AgentToken.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import consul
import httpx
import pytest

from tests.devagent.support import FAST_FLAGS
from tests.support.processes import dev_agent

ROOT = "root-secret-for-tests"
ANON = "00000000-0000-0000-0000-000000000002"


@pytest.fixture(scope="module")
def acl_url() -> Iterator[str]:
    with dev_agent(None, *FAST_FLAGS, "--acl-enabled", "--acl-initial-management-token", ROOT) as url:
        yield url


def _denied(accessor: str, permission: str, name: str) -> str:
    return (
        f"Permission denied: token with AccessorID '{accessor}' lacks permission '{permission}' on \"{name}\""
    )


def _root(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-Consul-Token": ROOT}, timeout=10)


def _token(url: str, rules: str, name: str) -> tuple[str, str]:
    """A policy with ``rules`` and a token linked to it; (accessor, secret)."""
    with _root(url) as root:
        r = root.put("/v1/acl/policy", json={"Name": name, "Rules": rules})
        assert r.status_code == 200, r.text
        r = root.put("/v1/acl/token", json={"Description": name, "Policies": [{"Name": name}]})
        assert r.status_code == 200, r.text
        return r.json()["AccessorID"], r.json()["SecretID"]


def test_without_a_token_everything_is_denied_or_filtered(acl_url: str) -> None:
    r = httpx.put(f"{acl_url}/v1/agent/service/register", json={"Name": "anon-web", "Port": 1})
    assert r.status_code == 403
    assert r.text == _denied(ANON, "service:write", "anon-web")
    assert httpx.get(f"{acl_url}/v1/agent/self").status_code == 403
    assert httpx.put(f"{acl_url}/v1/kv/x", content=b"v").status_code == 403
    assert httpx.put(f"{acl_url}/v1/session/create").status_code == 403
    r = httpx.get(f"{acl_url}/v1/catalog/services")
    assert (r.status_code, r.json()) == (200, {})
    assert r.headers["X-Consul-Default-ACL-Policy"] == "deny"
    assert "X-Consul-Results-Filtered-By-ACLs" not in r.headers  # only told to authenticated callers
    assert httpx.get(f"{acl_url}/v1/status/leader").status_code == 200


def test_unknown_token_is_acl_not_found(acl_url: str) -> None:
    r = httpx.get(f"{acl_url}/v1/catalog/services", headers={"X-Consul-Token": "nope"})
    assert (r.status_code, r.text) == (403, "ACL not found")


@pytest.mark.parametrize(
    "how",
    [
        {"headers": {"X-Consul-Token": ROOT}},
        {"headers": {"Authorization": f"Bearer {ROOT}"}},
        {"params": {"token": ROOT}},
    ],
)
def test_management_token_from_each_place_is_accepted(acl_url: str, how: dict[str, dict[str, str]]) -> None:
    r = httpx.put(f"{acl_url}/v1/agent/service/register", json={"Name": "mgmt-web", "Port": 1}, **how)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    me = httpx.get(f"{acl_url}/v1/agent/self", **how)  # type: ignore[arg-type]
    assert me.status_code == 200 and me.json()["Stats"]["consul"]["acl"] == "enabled"
    assert me.json()["DebugConfig"]["ACLsEnabled"] is True


def test_py_consul_with_token(acl_url: str) -> None:
    port = int(acl_url.rsplit(":", 1)[1])
    client = consul.Consul(port=port, token=ROOT)
    client.agent.service.register("pyc-web", service_id="pyc-web-1", port=5)
    assert "pyc-web-1" in client.agent.services()
    anonymous = consul.Consul(port=port)
    with pytest.raises(consul.ACLPermissionDenied):
        anonymous.agent.service.register("pyc-db", port=6)


def test_policy_rules_grant_exactly_what_they_say(acl_url: str) -> None:
    accessor, secret = _token(
        acl_url,
        'service "pol-web" { policy = "write" }\nnode_prefix "" { policy = "read" }\n'
        'key_prefix "app/" { policy = "write" }\nsession_prefix "" { policy = "write" }',
        "pol-web-writer",
    )
    h = {"X-Consul-Token": secret}
    assert (
        httpx.put(f"{acl_url}/v1/agent/service/register", json={"Name": "pol-web"}, headers=h).status_code
        == 200
    )
    r = httpx.put(f"{acl_url}/v1/agent/service/register", json={"Name": "pol-db"}, headers=h)
    assert (r.status_code, r.text) == (403, _denied(accessor, "service:write", "pol-db"))
    r = httpx.get(f"{acl_url}/v1/catalog/services", headers=h)
    assert set(r.json()) == {"pol-web"} and r.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    assert httpx.put(f"{acl_url}/v1/kv/app/flag", content=b"1", headers=h).json() is True
    assert httpx.put(f"{acl_url}/v1/kv/other", content=b"1", headers=h).status_code == 403
    assert httpx.get(f"{acl_url}/v1/kv/other", headers=h).status_code == 403
    sid = httpx.put(f"{acl_url}/v1/session/create", json={"Checks": []}, headers=h).json()["ID"]
    assert httpx.put(f"{acl_url}/v1/kv/app/lock?acquire={sid}", headers=h).json() is True
    txn = [
        {"KV": {"Verb": "set", "Key": "app/a", "Value": base64.b64encode(b"x").decode()}},
        {"KV": {"Verb": "set", "Key": "secret/b", "Value": base64.b64encode(b"y").decode()}},
    ]
    r = httpx.put(f"{acl_url}/v1/txn", json=txn, headers=h)
    assert r.status_code == 409
    assert r.json()["Errors"] == [
        {
            "OpIndex": 1,
            "What": _denied(accessor, "key:write", "secret/b"),
        }
    ]


def test_service_identity_token(acl_url: str) -> None:
    with _root(acl_url) as root:
        token = root.put("/v1/acl/token", json={"ServiceIdentities": [{"ServiceName": "ident-svc"}]}).json()
    h = {"X-Consul-Token": token["SecretID"]}
    body = {"Name": "ident-svc", "Port": 9, "Connect": {"SidecarService": {}}}
    assert httpx.put(f"{acl_url}/v1/agent/service/register", json=body, headers=h).status_code == 200
    assert (
        httpx.put(f"{acl_url}/v1/agent/service/register", json={"Name": "other"}, headers=h).status_code
        == 403
    )
    proxy = {
        "Name": "ident-svc-sidecar-proxy",
        "Kind": "connect-proxy",
        "Port": 21999,
        "Proxy": {"DestinationServiceName": "someone-else"},
    }
    r = httpx.put(f"{acl_url}/v1/agent/service/register", json=proxy, headers=h)
    assert r.status_code == 403 and r.text.endswith("lacks permission 'service:write' on \"someone-else\"")


def test_token_and_policy_endpoints(acl_url: str) -> None:
    with _root(acl_url) as root:
        me = root.get("/v1/acl/token/self").json()
        assert me["SecretID"] == ROOT and me["Policies"][0]["Name"] == "global-management"
        policy = root.put(
            "/v1/acl/policy", json={"Name": "crud-p", "Rules": 'key "k" { policy = "read" }'}
        ).json()
        assert root.get("/v1/acl/policy/name/crud-p").json()["ID"] == policy["ID"]
        assert any(p["Name"] == "crud-p" for p in root.get("/v1/acl/policies").json())
        r = root.put("/v1/acl/policy", json={"Name": "crud-p", "Rules": ""})
        assert (r.status_code, r.text) == (400, 'Invalid Policy: A Policy with Name "crud-p" already exists')
        r = root.put("/v1/acl/policy", json={"Name": "bad", "Rules": 'key "k" { policy = "maybe" }'})
        assert r.status_code == 400 and r.text.startswith("Invalid Policy: ")
        token = root.put("/v1/acl/token", json={"Policies": [{"ID": policy["ID"]}]}).json()
        assert root.get(f"/v1/acl/token/{token['AccessorID']}").json()["SecretID"] == token["SecretID"]
        assert any(t["AccessorID"] == ANON for t in root.get("/v1/acl/tokens").json())
        assert root.delete(f"/v1/acl/token/{token['AccessorID']}").json() is True
        r = root.get(f"/v1/acl/token/{token['AccessorID']}")
        assert (r.status_code, r.text) == (403, "ACL not found")
        assert root.delete(f"/v1/acl/policy/{policy['ID']}").json() is True
    r = httpx.get(f"{acl_url}/v1/acl/tokens")
    assert r.status_code == 403 and "lacks permission 'acl:read'" in r.text


def test_agent_default_token_is_used_for_requests_without_one(acl_url: str) -> None:
    _, secret = _token(acl_url, 'agent_prefix "" { policy = "read" }', "default-agent-reader")
    assert httpx.get(f"{acl_url}/v1/agent/self").status_code == 403
    with _root(acl_url) as root:
        r = root.put("/v1/agent/token/nonsense", json={"Token": secret})
        assert (r.status_code, r.text) == (404, 'Token "nonsense" is unknown')
        assert root.put("/v1/agent/token/default", json={"Token": secret}).status_code == 200
    try:
        assert httpx.get(f"{acl_url}/v1/agent/self").status_code == 200
    finally:
        with _root(acl_url) as root:
            root.put("/v1/agent/token/default", json={"Token": ""})
    assert httpx.get(f"{acl_url}/v1/agent/self").status_code == 403


def test_bootstrap_once_when_no_initial_token() -> None:
    with dev_agent(None, "--acl-enabled") as url:
        first = httpx.put(f"{url}/v1/acl/bootstrap")
        assert first.status_code == 200 and first.json()["Policies"][0]["Name"] == "global-management"
        secret = first.json()["SecretID"]
        assert httpx.get(f"{url}/v1/agent/self", headers={"X-Consul-Token": secret}).status_code == 200
        again = httpx.put(f"{url}/v1/acl/bootstrap")
        assert again.status_code == 403 and again.text.startswith(
            "Permission denied: ACL bootstrap no longer allowed"
        )
