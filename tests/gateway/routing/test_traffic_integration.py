"""Traffic policy end to end: a real dev agent, real upstream processes, a real gateway.

Services are registered through the agent API (as a deploy tool would) pointing at the two
upstream processes, with the tags, meta, weights and check states each test needs.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import Stack, running_stack
from tests.gateway.helpers import consul_put, routes, start_gateway, start_upstream, wait_ports
from tests.support.processes import wait_until

CHI2_DF1_P001 = 10.83  # chi-square, 1 degree of freedom, p = 0.001


@pytest.fixture(scope="module")
def stack(module_consul_url: str) -> Iterator[Stack]:
    procs = {"traffic-up": [start_upstream(module_consul_url, "traffic-up", wait=False) for _ in range(2)]}
    with running_stack(module_consul_url, procs, balancer_seed="7") as stack:
        yield stack


def ports(stack: Stack) -> tuple[int, int]:
    a, b = sorted(stack.ports("traffic-up"))
    return a, b


def register(
    consul: str,
    sid: str,
    name: str,
    port: int,
    *,
    tags: Sequence[str] = (),
    meta: Mapping[str, str] | None = None,
    weights: Mapping[str, int] | None = None,
    status: str = "passing",
) -> None:
    body: dict[str, Any] = {
        "ID": sid,
        "Name": name,
        "Address": "127.0.0.1",
        "Port": port,
        "Tags": list(tags),
        "Meta": dict(meta or {}),
        "Check": {"CheckID": f"{sid}-ttl", "TTL": "120s", "Status": status},
    }
    if weights:
        body["Weights"] = dict(weights)
    consul_put(consul, "/v1/agent/service/register", body)


def chi_square(counts: Counter[int], expected: Mapping[int, float]) -> float:
    return sum((counts[k] - e) ** 2 / e for k, e in expected.items())


def served_by(http: httpx.Client, url: str, n: int, headers: Mapping[str, str] | None = None) -> Counter[int]:
    counts: Counter[int] = Counter()
    for _ in range(n):
        resp = http.get(url, headers=headers)
        assert resp.status_code == 200, resp.text
        counts[resp.json()["port"]] += 1
    return counts


def test_tag_added_route_served_within_1s_then_removed(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    url = f"{stack.url}/shop/whoami"
    assert http.get(url).status_code == 404
    register(stack.consul, "shop-1", "shop", a, tags=["urlprefix-/shop strip=/shop"])
    started = time.monotonic()
    wait_until(lambda: http.get(url).status_code == 200, timeout=5, interval=0.01, what="route served")
    added = time.monotonic() - started
    assert http.get(url).json()["port"] == a  # /shop stripped: the upstream saw /whoami
    register(stack.consul, "shop-1", "shop", a, tags=[])
    started = time.monotonic()
    wait_until(lambda: http.get(url).status_code == 404, timeout=5, interval=0.01, what="route gone")
    removed = time.monotonic() - started
    assert added < 1.0 and removed < 1.0, (added, removed)
    # The gateway's own routes are never shadowed, even by a catch-all route.
    register(stack.consul, "catch-1", "catch-all", a, tags=["urlprefix-/"])
    wait_until(lambda: http.get(f"{stack.url}/whoami").status_code == 200, timeout=5)
    assert "services" in http.get(f"{stack.url}/api/routes").json()


def test_weights_nine_to_one(stack: Stack, http: httpx.Client) -> None:
    a, b = ports(stack)
    register(stack.consul, "w-a", "weighted", a, weights={"Passing": 9, "Warning": 1})
    register(stack.consul, "w-b", "weighted", b, weights={"Passing": 1, "Warning": 1})
    wait_ports(stack.url, "weighted", {a, b})
    counts = served_by(http, f"{stack.url}/svc/weighted/whoami", 1000)
    assert chi_square(counts, {a: 900, b: 100}) < CHI2_DF1_P001, counts


def test_version_split_and_header_override(stack: Stack, http: httpx.Client) -> None:
    a, b = ports(stack)
    meta = {"gateway-split": "v1:90,v2:10"}
    register(stack.consul, "c-a", "canary", a, tags=["version:v1"], meta=meta)
    register(stack.consul, "c-b", "canary", b, tags=["version:v2"], meta=meta)
    wait_ports(stack.url, "canary", {a, b})
    url = f"{stack.url}/svc/canary/whoami"
    counts = served_by(http, url, 1000)
    assert chi_square(counts, {a: 900, b: 100}) < CHI2_DF1_P001, counts
    assert served_by(http, url, 20, {"X-Version": "v2"}) == Counter({b: 20})
    missing = http.get(url, headers={"X-Version": "v9"})
    assert missing.status_code == 503 and "v9" in missing.json()["detail"]
    policy = routes(stack.url)["policies"]["canary"]
    assert policy["policy"]["split"] == {"v1": 90, "v2": 10}
    assert policy["versions"] == {"v1": ["c-a"], "v2": ["c-b"]}


def test_rate_limit_answers_429_with_retry_after(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(stack.consul, "rl-1", "limited", a, meta={"gateway-rate": "1/s", "gateway-burst": "2"})
    wait_ports(stack.url, "limited", {a})
    wait_until(lambda: "limited" in routes(stack.url)["policies"], timeout=5)
    statuses = [http.get(f"{stack.url}/svc/limited/whoami") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[2].headers["retry-after"]) >= 1
    assert "rate limit" in statuses[2].json()["detail"]


def test_max_in_flight_answers_503_with_retry_after(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(stack.consul, "mif-1", "narrow", a, meta={"gateway-max-in-flight": "1"})
    wait_ports(stack.url, "narrow", {a})
    wait_until(lambda: "narrow" in routes(stack.url)["policies"], timeout=5)
    slow: list[int] = []
    thread = threading.Thread(
        target=lambda: slow.append(httpx.get(f"{stack.url}/svc/narrow/sleep?s=1.5", timeout=10).status_code)
    )
    thread.start()
    wait_until(lambda: routes(stack.url)["policies"]["narrow"]["in_flight"] == 1, timeout=5, interval=0.02)
    rejected = http.get(f"{stack.url}/svc/narrow/whoami")
    thread.join()
    assert rejected.status_code == 503 and rejected.headers["retry-after"] == "1"
    assert slow == [200]
    assert http.get(f"{stack.url}/svc/narrow/whoami").status_code == 200  # slot released


def test_per_try_timeout_from_meta(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(stack.consul, "to-1", "hasty", a, meta={"gateway-timeout": "300ms"})
    wait_ports(stack.url, "hasty", {a})
    wait_until(lambda: "hasty" in routes(stack.url)["policies"], timeout=5)
    started = time.monotonic()
    assert http.get(f"{stack.url}/svc/hasty/sleep?s=2").status_code == 504
    assert time.monotonic() - started < 1.5


def test_bad_declarations_are_listed_and_ignored(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(
        stack.consul,
        "bad-1",
        "sloppy",
        a,
        tags=["urlprefix-/sloppy-ok strip=/sloppy-ok", "urlprefix-/sloppy-bad proto=tcp"],
        meta={"gateway-rate": "-1", "gateway-split": "v1:50,v2:50"},
    )
    wait_until(lambda: http.get(f"{stack.url}/sloppy-ok/whoami").status_code == 200, timeout=5)
    errors = [e for e in routes(stack.url)["errors"] if e["service"] == "sloppy"]
    keys = sorted(e["key"] for e in errors)
    assert keys == ["rate", "split", "urlprefix-/sloppy-bad proto=tcp"], errors
    assert http.get(f"{stack.url}/svc/sloppy/whoami").status_code == 200  # no rate limit applied


def test_warning_instances_routed_only_when_enabled(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(stack.consul, "warn-1", "warny", a, status="warning", weights={"Passing": 5, "Warning": 2})
    register(stack.consul, "ok-1", "warny-probe", a)  # a passing service: the table has moved on
    wait_ports(stack.url, "warny-probe", {a})
    assert http.get(f"{stack.url}/svc/warny/whoami").status_code == 503  # default: passing only
    gateway = start_gateway(stack.consul, gateway_route_warning="true")
    try:
        wait_ports(gateway.url, "warny", {a})  # type: ignore[attr-defined]
        assert http.get(f"{gateway.url}/svc/warny/whoami").status_code == 200  # type: ignore[attr-defined]
        (svc,) = [s for s in routes(gateway.url)["services"] if s["name"] == "warny"]  # type: ignore[attr-defined]
        assert [(i["status"], i["weight"]) for i in svc["instances"]] == [("warning", 2)]
        consul_put(stack.consul, "/v1/agent/check/fail/warn-1-ttl")  # critical: never routed
        wait_ports(gateway.url, "warny", set())  # type: ignore[attr-defined]
    finally:
        gateway.stop()


def test_kv_policy_applies_within_1s_and_wins_over_meta(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(stack.consul, "kv-1", "kvsvc", a, meta={"gateway-rate": "1000"})
    wait_ports(stack.url, "kvsvc", {a})
    key = "/v1/kv/consul-gateway/policies/kvsvc"
    consul_put(stack.consul, key, {"rate": "1/s", "burst": 1})
    started = time.monotonic()
    wait_until(
        lambda: routes(stack.url)["policies"]["kvsvc"]["policy"].get("rate") == 1.0,
        timeout=5,
        interval=0.01,
        what="KV policy applied",
    )
    applied = time.monotonic() - started
    assert [http.get(f"{stack.url}/svc/kvsvc/whoami").status_code for _ in range(2)] == [200, 429]
    consul_put(stack.consul, "/v1/kv/consul-gateway/policies/bad", "not json")  # a string, not an object
    wait_until(lambda: any(e["source"] == "kv" for e in routes(stack.url)["errors"]), timeout=5)
    httpx.delete(f"{stack.consul}{key}", timeout=5).raise_for_status()
    wait_until(lambda: routes(stack.url)["policies"]["kvsvc"]["policy"].get("rate") == 1000.0, timeout=5)
    assert applied < 1.0, applied


def test_retry_statuses_from_meta(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    consul_port = int(stack.consul.rsplit(":", 1)[1])
    meta = {"gateway-retry-statuses": "404", "gateway-retry-attempts": "2"}
    register(stack.consul, "flaky-ok", "flaky", a, meta=meta)
    register(stack.consul, "flaky-404", "flaky", consul_port, meta=meta)  # answers 404 to /whoami
    wait_ports(stack.url, "flaky", {a, consul_port})
    wait_until(lambda: "flaky" in routes(stack.url)["policies"], timeout=5)
    statuses = Counter(http.get(f"{stack.url}/svc/flaky/whoami").status_code for _ in range(40))
    assert statuses == Counter({200: 40})  # a 404 is tried again on the other instance
    # POST is not a retry method by default: its 404s come back as they are.
    posts = Counter(http.post(f"{stack.url}/svc/flaky/whoami").status_code for _ in range(40))
    assert posts[404] > 0 and posts[200] > 0, posts


def test_route_limit_from_tag_options(stack: Stack, http: httpx.Client) -> None:
    a, _ = ports(stack)
    register(stack.consul, "rlim-1", "routelim", a, tags=["urlprefix-/rl strip=/rl rate=1/s burst=1"])
    wait_until(lambda: http.get(f"{stack.url}/rl/whoami").status_code == 429, timeout=5, interval=0.05)
    limited = http.get(f"{stack.url}/rl/whoami")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert (
        http.get(f"{stack.url}/svc/routelim/whoami").status_code == 200
    )  # the service itself is not limited
    (route,) = [r for r in routes(stack.url)["routes"] if r["service"] == "routelim"]
    assert (route["rate"], route["burst"]) == (1.0, 1)


def test_sticky_split_by_header(stack: Stack, http: httpx.Client) -> None:
    a, b = ports(stack)
    meta = {"gateway-split": "v1:50,v2:50", "gateway-sticky": "header:X-User"}
    register(stack.consul, "st-a", "sticky", a, tags=["version:v1"], meta=meta)
    register(stack.consul, "st-b", "sticky", b, tags=["version:v2"], meta=meta)
    wait_ports(stack.url, "sticky", {a, b})
    wait_until(lambda: "sticky" in routes(stack.url)["policies"], timeout=5)
    url = f"{stack.url}/svc/sticky/whoami"
    per_user = {
        user: served_by(http, url, 5, {"X-User": user}) for user in ("ann", "bob", "cy", "dee", "eve", "fay")
    }
    assert all(len(counts) == 1 for counts in per_user.values()), per_user  # one version per user
    assert len({next(iter(c)) for c in per_user.values()}) == 2, per_user  # and both versions used


def test_model_rollout_split_on_the_predict_route(stack: Stack, http: httpx.Client) -> None:
    a, b = ports(stack)
    meta = {"gateway-split": "v1:80,v2:20"}
    register(stack.consul, "gdp-v1", "gdp-growth-model", a, tags=["version:v1"], meta=meta)
    register(stack.consul, "gdp-v2", "gdp-growth-model", b, tags=["version:v2"], meta=meta)
    wait_ports(stack.url, "gdp-growth-model", {a, b})
    wait_until(lambda: "gdp-growth-model" in routes(stack.url)["policies"], timeout=5)
    features = {
        "gdp_per_capita": 1.0,
        "unemployment_rate": 2.0,
        "gdp_growth_rate_lag": 3.0,
        "gdp_growth_rate_ma": 4.0,
    }
    url = f"{stack.url}/api/predict/gdp_growth_rate"
    counts = Counter(http.post(url, json=features).json()["port"] for _ in range(500))
    assert chi_square(counts, {a: 400, b: 100}) < CHI2_DF1_P001, counts
    pinned = {http.post(url, json=features, headers={"X-Version": "v2"}).json()["port"] for _ in range(10)}
    assert pinned == {b}
