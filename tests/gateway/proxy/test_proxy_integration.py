"""The generic proxy against real upstream processes: status codes, headers, bodies, balancing.

Every test runs twice: with the direct path (``proxy/direct.py``, the default) and with
``GATEWAY_DIRECT_PROXY=false`` (every request on the general ASGI path, ``proxy/handler.py``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway.conftest import Stack, running_stack
from tests.gateway.helpers import start_upstream
from tests.gateway.upstream_app import pattern


@pytest.fixture(scope="module", params=["direct", "general"])
def web_stack(module_consul_url: str, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """As conftest's ``web_stack``, once per proxy path."""
    procs = {
        "web": [start_upstream(module_consul_url, "web", wait=False) for _ in range(2)],
        "rr": [
            start_upstream(module_consul_url, "rr", tags=["lb=round_robin"], wait=False) for _ in range(2)
        ],
    }
    direct = "true" if request.param == "direct" else "false"
    with running_stack(
        module_consul_url, procs, upstream_timeout="1.5", gateway_direct_proxy=direct
    ) as stack:
        yield stack


def test_encoded_slash_and_percent_stay_encoded(web_stack: Stack, http: httpx.Client) -> None:
    """A decoded %2F would change which upstream route matches; %25 would be decoded twice."""
    r = http.get(f"{web_stack.url}/svc/web/headers/a%2Fb/100%25?q=a%26b", timeout=5)
    assert r.status_code == 200
    assert r.json()["raw_path"] == "/headers/a%2Fb/100%25"
    assert r.json()["query"] == "q=a%26b"


def test_forwards_method_path_query_and_body(web_stack: Stack, http: httpx.Client) -> None:
    r = http.post(f"{web_stack.url}/svc/web/headers/a/b%20c?x=1&y=two", content=b'{"k": 1}', timeout=5)
    assert r.status_code == 200
    doc = r.json()
    assert doc["method"] == "POST"
    assert doc["raw_path"] == "/headers/a/b%20c"  # forwarded as the client encoded it
    assert doc["path"] == "/headers/a/b c"
    assert doc["query"] == "x=1&y=two"
    assert doc["body"] == '{"k": 1}'
    assert doc["port"] in web_stack.ports("web")


def test_headers_hop_by_hop_removed_forwarded_added(web_stack: Stack, http: httpx.Client) -> None:
    r = http.get(
        f"{web_stack.url}/svc/web/headers/x",
        headers={
            "X-Custom": "kept",
            "Connection": "keep-alive, X-Drop-Me",
            "X-Drop-Me": "secret",
            "Keep-Alive": "timeout=5",
            "X-Forwarded-For": "10.0.0.9",
            "X-Request-ID": "req-abc-123",
        },
        timeout=5,
    )
    assert r.status_code == 200
    h = r.json()["headers"]
    assert h["x-custom"] == "kept"
    assert "x-drop-me" not in h and "keep-alive" not in h
    assert h["x-forwarded-for"] == "10.0.0.9, 127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-host"] == web_stack.url.removeprefix("http://")
    assert h["x-request-id"] == "req-abc-123"
    assert r.headers["x-request-id"] == "req-abc-123"


def test_request_id_generated_when_absent(web_stack: Stack, http: httpx.Client) -> None:
    r = http.get(f"{web_stack.url}/svc/web/headers/x", timeout=5)
    rid = r.headers["x-request-id"]
    assert len(rid) >= 16
    assert r.json()["headers"]["x-request-id"] == rid


def test_upstream_4xx_5xx_passed_through(web_stack: Stack, http: httpx.Client) -> None:
    for code in (404, 418, 500, 503):
        r = http.get(f"{web_stack.url}/svc/web/status/{code}", timeout=5)
        assert r.status_code == code
        assert r.json()["code"] == code  # the upstream's body, not a gateway error body
        assert r.headers["x-upstream-marker"] == "yes"


def test_unknown_service_is_503_naming_it(web_stack: Stack, http: httpx.Client) -> None:
    r = http.get(f"{web_stack.url}/svc/no-such-service/x", timeout=5)
    assert r.status_code == 503
    assert r.json()["service"] == "no-such-service"
    assert "no-such-service" in r.json()["detail"]


def test_upstream_timeout_is_504(web_stack: Stack, http: httpx.Client) -> None:
    r = http.get(f"{web_stack.url}/svc/web/sleep?s=3", timeout=10)  # gateway timeout is 1.5 s
    assert r.status_code == 504
    assert r.json()["service"] == "web"


def test_large_request_body_streamed(web_stack: Stack, http: httpx.Client) -> None:
    data = pattern(5 * 1024 * 1024 + 7)
    r = http.post(f"{web_stack.url}/svc/web/upload", content=data, timeout=30)
    assert r.status_code == 200
    assert r.json() == {**r.json(), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_chunked_request_body_streamed(web_stack: Stack, http: httpx.Client) -> None:
    data = pattern(3 * 1024 * 1024)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 100_000):
            yield data[i : i + 100_000]

    r = http.post(f"{web_stack.url}/svc/web/upload", content=chunks(), timeout=30)
    assert r.status_code == 200
    assert r.json()["bytes"] == len(data)
    assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_large_response_streamed(web_stack: Stack, http: httpx.Client) -> None:
    n = 5 * 1024 * 1024 + 3
    with http.stream("GET", f"{web_stack.url}/svc/web/download?n={n}", timeout=30) as r:
        assert r.status_code == 200
        received = b"".join(r.iter_bytes())
    assert received == pattern(n)


def test_response_arrives_while_upstream_still_streaming(web_stack: Stack, http: httpx.Client) -> None:
    # 5 chunks, 0.3 s apart: the first chunk must reach the client long before the last is made.
    import time

    start = time.monotonic()
    with http.stream("GET", f"{web_stack.url}/svc/web/download?n=5000&chunk=1000&delay=0.3", timeout=10) as r:
        chunks = r.iter_raw()
        first = next(chunks)
        first_at = time.monotonic() - start
        rest = b"".join(chunks)
    total = time.monotonic() - start
    assert first and len(first) + len(rest) == 5000
    assert first_at < total - 0.6


def test_round_robin_by_tag_is_exact(web_stack: Stack, http: httpx.Client) -> None:
    seen = [http.get(f"{web_stack.url}/svc/rr/whoami", timeout=5).json()["port"] for _ in range(10)]
    assert set(seen) == web_stack.ports("rr")
    # exact alternation
    assert all(seen[i] != seen[i + 1] for i in range(len(seen) - 1))
    routes = http.get(f"{web_stack.url}/api/routes", timeout=5).json()
    assert {s["name"]: s["balancer"] for s in routes["services"]}["rr"] == "round_robin"


def test_random_default_uses_both(web_stack: Stack, http: httpx.Client) -> None:
    seen = Counter(http.get(f"{web_stack.url}/svc/web/whoami", timeout=5).json()["port"] for _ in range(60))
    assert set(seen) == web_stack.ports("web")
    assert min(seen.values()) >= 10  # P(fail) for fair coin over 60 draws < 1e-5


def test_gateway_and_consul_not_routed(web_stack: Stack, http: httpx.Client) -> None:
    names = {s["name"] for s in http.get(f"{web_stack.url}/api/routes", timeout=5).json()["services"]}
    assert names == {"web", "rr"}
    assert http.get(f"{web_stack.url}/svc/consul/v1/status/leader", timeout=5).status_code == 503
    assert http.get(f"{web_stack.url}/svc/gateway/health", timeout=5).status_code == 503


def test_head_204_and_encoded_paths(web_stack: Stack, http: httpx.Client) -> None:
    r = http.head(f"{web_stack.url}/svc/web/status/200")
    assert r.status_code == 200 and r.content == b"" and r.headers["x-upstream-marker"] == "yes"
    assert int(r.headers["content-length"]) > 0  # the upstream's length of the GET body
    r = http.delete(f"{web_stack.url}/svc/web/status/204")
    assert r.status_code == 204 and r.content == b""
    # keep-alive still fine after HEAD/204 on the same client connection
    assert http.get(f"{web_stack.url}/svc/web/whoami").status_code == 200
    r = http.get(f"{web_stack.url}/svc/web/headers/a%2Fb/%C3%A9?q=%26x%3D1&empty=")
    assert r.status_code == 200
    assert r.json()["query"] == "q=%26x%3D1&empty="
