"""Checks executed by the agent against real HTTP/TCP targets (contract §3.6)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import consul
import httpx
import pytest

from tests.devagent.support import FAST_FLAGS, check_status, closed_port, http_target, tcp_listener, wait_for
from tests.support.processes import dev_agent


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """Agent with a 50 ms minimum interval so threshold sequences run quickly."""
    with dev_agent(None, *FAST_FLAGS, "--min-check-interval", "50ms") as base:
        yield base


def _client(url: str) -> consul.Consul:
    return consul.Consul(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))


def _register(url: str, body: str) -> None:
    r = httpx.put(f"{url}/v1/agent/service/register", content=body.encode())
    assert r.status_code == 200, r.text


def test_http_2xx_passing_429_warning_else_critical(url: str) -> None:
    """§3.6: 2xx → passing, 429 → warning, else critical; Output `HTTP GET <url>: <status> Output: <body>`."""
    with http_target() as (base, state):
        target = f"{base}/health"
        _register(url, f'{{"Name": "h1", "Check": {{"HTTP": "{target}", "Interval": "100ms"}}}}')
        assert wait_for(
            lambda: check_status(url, "service:h1") == ("passing", f"HTTP GET {target}: 200 OK Output: ok")
        )
        state.status, state.body = 429, b"slow down"
        wait_for(
            lambda: (
                check_status(url, "service:h1")
                == ("warning", f"HTTP GET {target}: 429 Too Many Requests Output: slow down")
            ),
            what="429 → warning",
        )
        state.status, state.body = 503, b"down"
        wait_for(
            lambda: (
                check_status(url, "service:h1")
                == ("critical", f"HTTP GET {target}: 503 Service Unavailable Output: down")
            ),
            what="503 → critical",
        )
        # the catalog view (health endpoints) follows status changes immediately
        assert check_status(url, "service:h1", view="catalog")[0] == "critical"
        first = state.requests[0]
        assert first["user-agent"] == "Consul Health Check"
        assert first["accept"] == "text/plain, text/*, */*"
        assert first["method"] == "GET" and first["path"] == "/health"


def test_http_method_header_body(url: str) -> None:
    """§3.6: Method, Header (map of lists) and Body are sent as configured."""
    with http_target() as (base, state):
        body = (
            '{"Name": "h2", "Check": {"HTTP": "' + base + '/p", "Interval": "1s", "Method": "POST", '
            '"Header": {"X-Token": ["abc"], "User-Agent": ["custom"]}, "Body": "{\\"q\\": 1}"}}'
        )
        _register(url, body)
        wait_for(lambda: state.requests, what="first probe")
        req = state.requests[0]
        assert (req["method"], req["x-token"], req["user-agent"], req["body"]) == (
            "POST",
            "abc",
            "custom",
            '{"q": 1}',
        )
        wait_for(
            lambda: check_status(url, "service:h2") == ("passing", f"HTTP POST {base}/p: 200 OK Output: ok")
        )


def test_http_timeout_and_refused_are_critical(url: str) -> None:
    """§3.6: a timeout or a refused connection → critical with Go-style error text."""
    with http_target() as (base, state):
        state.delay = 1.0
        _register(
            url, f'{{"Name": "h3", "Check": {{"HTTP": "{base}/", "Interval": "5s", "Timeout": "200ms"}}}}'
        )
        status = wait_for(
            lambda: (s := check_status(url, "service:h3")) and s[1] and s, what="timeout result"
        )
        assert status == (
            "critical",
            f'Get "{base}/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        )
    port = closed_port()
    _register(url, f'{{"Name": "h4", "Check": {{"HTTP": "http://127.0.0.1:{port}/x", "Interval": "5s"}}}}')
    status = wait_for(lambda: (s := check_status(url, "service:h4")) and s[1] and s, what="refused result")
    assert status == (
        "critical",
        f'Get "http://127.0.0.1:{port}/x": dial tcp 127.0.0.1:{port}: connect: connection refused',
    )


def test_tcp_check_passes_when_listening_and_fails_when_refused(url: str) -> None:
    """§3.6: TCP connect success → passing `TCP connect <addr>: Success`; refused → critical dial error."""
    with tcp_listener() as port:
        _register(url, f'{{"Name": "t1", "Check": {{"TCP": "127.0.0.1:{port}", "Interval": "5s"}}}}')
        wait_for(
            lambda: check_status(url, "service:t1") == ("passing", f"TCP connect 127.0.0.1:{port}: Success")
        )
    port = closed_port()
    _register(url, f'{{"Name": "t2", "Check": {{"TCP": "127.0.0.1:{port}", "Interval": "5s"}}}}')
    wait_for(
        lambda: (
            check_status(url, "service:t2")
            == ("critical", f"dial tcp 127.0.0.1:{port}: connect: connection refused")
        )
    )


def test_ttl_check_turns_critical_when_not_updated(url: str) -> None:
    """§3.6: TTL expiry → critical `TTL expired`, with the last output appended after an update."""
    c = _client(url)
    c.agent.service.register("ttlx", check=consul.Check.ttl("300ms"))
    c.agent.check.ttl_pass("service:ttlx", "fine")
    assert check_status(url, "service:ttlx") == ("passing", "fine")
    wait_for(
        lambda: (
            check_status(url, "service:ttlx")
            == ("critical", "TTL expired (last output before timeout follows): fine")
        ),
        what="ttl expiry",
    )
    assert check_status(url, "service:ttlx", view="catalog")[0] == "critical"
    c.agent.check.register("bare-ttl", consul.Check.ttl("200ms"))
    c.agent.check.ttl_pass("bare-ttl")
    wait_for(lambda: check_status(url, "bare-ttl") == ("critical", "TTL expired"), what="bare ttl expiry")


def _watch(url: str, check_id: str, state, until: str, timeout: float = 6.0) -> list[tuple[int, str]]:
    """Poll the check and record (target hits, status) until ``until`` is seen."""
    seen: list[tuple[int, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = check_status(url, check_id)[0]
        hits = state.hits  # read after the status: a probe is counted before its result is applied
        seen.append((hits, status))
        if status == until:
            return seen
        time.sleep(0.01)
    raise AssertionError(f"{until} not reached: {seen[-5:]}")


def test_success_and_failure_thresholds_delay_status_changes(url: str) -> None:
    """§3.6: first result applies at once; then FailuresBeforeWarning/Critical, SuccessBeforePassing count."""
    with http_target() as (base, state):
        _register(
            url,
            f'{{"Name": "th", "Check": {{"HTTP": "{base}/", "Interval": "150ms", '
            '"SuccessBeforePassing": 2, "FailuresBeforeWarning": 2, "FailuresBeforeCritical": 3}}',
        )
        seen = _watch(url, "service:th", state, "passing")
        assert seen[-1][0] >= 1
        state.status = 500
        start = state.hits
        seen = _watch(url, "service:th", state, "warning")
        # still passing until two failures were probed, and never critical before warning
        assert all(s == "passing" for _, s in seen[:-1])
        assert seen[-1][0] - start >= 2
        seen = _watch(url, "service:th", state, "critical")
        assert seen[-1][0] - start >= 3
        state.status = 200
        start = state.hits
        seen = _watch(url, "service:th", state, "passing")
        assert all(s == "critical" for _, s in seen[:-1])
        assert seen[-1][0] - start >= 2


def test_deregister_critical_service_after_reaps(url: str) -> None:
    """§3.6: a service whose check stays critical past DeregisterCriticalServiceAfter (raised to the
    configured minimum, 1 s here) is removed by the reaper."""
    c = _client(url)
    _register(url, '{"Name": "reap", "Check": {"TTL": "30s", "DeregisterCriticalServiceAfter": "100ms"}}')
    start = time.monotonic()
    time.sleep(0.6)
    assert "reap" in c.agent.services(), "removed before the minimum"
    wait_for(lambda: "reap" not in c.agent.services(), timeout=5, what="reaping")
    assert time.monotonic() - start >= 1.0
    assert c.health.service("reap")[1] == []
    # a passing check is never reaped
    _register(
        url,
        '{"Name": "keep", "Check": {"TTL": "30s", "Status": "passing", '
        '"DeregisterCriticalServiceAfter": "100ms"}}',
    )
    time.sleep(1.5)
    assert "keep" in c.agent.services()


def test_min_interval_clamped_to_1s() -> None:
    """§3.6: an interval below 1 s is raised to 1 s (default agent settings)."""
    with http_target() as (base, state), dev_agent(None, "--immediate-first-check") as agent:
        _register(agent, f'{{"Name": "fast", "Check": {{"HTTP": "{base}/", "Interval": "100ms"}}}}')
        wait_for(lambda: state.hits >= 1, what="first probe")
        time.sleep(2.2)
        assert 2 <= state.hits <= 4, state.hits


def test_output_only_changes_are_deferred() -> None:
    """§6.4/§3.5: an output-only change shows in the agent view at once but reaches the catalog (and wakes
    watchers) only after check_update_interval; a status change is pushed immediately."""
    with dev_agent(None, "--check-update-interval", "1s") as agent:
        c = _client(agent)
        c.agent.service.register("defer", check=consul.Check.ttl("30s"))
        c.agent.check.ttl_pass("service:defer", "one")
        assert check_status(agent, "service:defer", view="catalog") == ("passing", "one")
        index, _ = c.health.service("defer")
        changed = time.monotonic()  # the deferral counts from the change, not from the blocking GET
        c.agent.check.ttl_pass("service:defer", "two")
        assert check_status(agent, "service:defer") == ("passing", "two")
        assert check_status(agent, "service:defer", view="catalog") == ("passing", "one")
        new_index, entries = c.health.service("defer", index=index, wait="5s")
        elapsed = time.monotonic() - changed
        assert 0.45 <= elapsed <= 3.5, elapsed  # interval/2 + random(interval), plus slack for a busy machine
        assert int(new_index) > int(index)
        assert entries[0]["Checks"][1]["Output"] == "two"


def test_first_run_after_random_delay_within_interval() -> None:
    """§3.6: by default each interval check first runs after a random delay in [0, Interval)."""
    with http_target() as (base, state), dev_agent() as agent:
        start = time.monotonic()
        for i in range(5):
            _register(agent, f'{{"Name": "rnd{i}", "Check": {{"HTTP": "{base}/c{i}", "Interval": "2s"}}}}')
        first: dict[str, float] = {}
        deadline = time.monotonic() + 5.0
        while len(first) < 5 and time.monotonic() < deadline:
            for req in list(state.requests):
                first.setdefault(req["path"], time.monotonic() - start)
            time.sleep(0.01)
        assert len(first) == 5, first
        assert max(first.values()) < 2.0 + 1.5  # within the 2 s interval, plus slack for a loaded machine
        assert max(first.values()) - min(first.values()) > 0.05, f"first runs not spread: {first}"


def test_http_redirects_followed_unless_disabled(url: str) -> None:
    """§3.6: redirects are followed unless DisableRedirects (then a 302 is not 2xx → critical)."""
    with http_target() as (base, state):
        state.redirects["/old"] = "/new"
        _register(url, f'{{"Name": "rd1", "Check": {{"HTTP": "{base}/old", "Interval": "5s"}}}}')
        wait_for(
            lambda: check_status(url, "service:rd1") == ("passing", f"HTTP GET {base}/old: 200 OK Output: ok")
        )
        assert any(r["path"] == "/new" for r in state.requests)
        _register(
            url,
            f'{{"Name": "rd2", "Check": {{"HTTP": "{base}/old", "Interval": "5s", '
            '"DisableRedirects": true}}',
        )
        wait_for(
            lambda: (
                check_status(url, "service:rd2") == ("critical", f"HTTP GET {base}/old: 302 Found Output: ")
            )
        )


def test_alias_check_mirrors_aliased_service() -> None:
    """§3.6 (alias): passing when all the aliased service's checks pass, critical with Consul's messages
    when one fails or the service disappears; Interval is rejected for alias checks.

    Own agent: node-level checks count for aliases, and other tests here leave a critical one behind."""
    with dev_agent(None, *FAST_FLAGS) as url:
        _alias_scenario(url)


def _alias_scenario(url: str) -> None:
    c = _client(url)
    c.agent.service.register("backend", service_id="be1", check=consul.Check.ttl("60s"))
    _register(url, '{"Name": "front", "ID": "fe1", "Check": {"AliasService": "be1"}}')
    check = c.agent.checks()["service:fe1"]
    assert check["Type"] == "alias"
    wait_for(
        lambda: (
            check_status(url, "service:fe1")
            == ("critical", "Aliased check \"Service 'backend' check\" failing: ")
        ),
        what="alias critical",
    )
    c.agent.check.ttl_pass("service:be1", "fine")
    wait_for(
        lambda: check_status(url, "service:fe1") == ("passing", "All checks passing."), what="alias passing"
    )
    c.agent.check.ttl_warn("service:be1", "meh")
    wait_for(
        lambda: (
            check_status(url, "service:fe1")
            == ("warning", "Aliased check \"Service 'backend' check\" failing: meh")
        ),
        what="alias warning",
    )
    c.agent.service.deregister("be1")
    wait_for(
        lambda: check_status(url, "service:fe1") == ("critical", "Service be1 could not be found on node "),
        what="alias missing service",
    )
    r = httpx.put(
        f"{url}/v1/agent/service/register",
        content=b'{"Name": "bad", "Check": {"AliasService": "x", "Interval": "1s"}}',
    )
    assert (r.status_code, r.text) == (400, "Invalid check: Interval cannot be set for Alias checks")


def test_udp_check_passes_on_answer_or_timeout_and_fails_on_refusal(url: str) -> None:
    """§3.6 (UDP): an answering or silent UDP port is passing; a closed one (ICMP refused) is critical."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        _register(
            url,
            f'{{"Name": "u1", "Check": {{"UDP": "127.0.0.1:{port}", "Interval": "5s", "Timeout": "300ms"}}}}',
        )
        wait_for(
            lambda: check_status(url, "service:u1") == ("passing", f"UDP connect 127.0.0.1:{port}: Success")
        )
    closed = closed_port()
    _register(
        url, f'{{"Name": "u2", "Check": {{"UDP": "127.0.0.1:{closed}", "Interval": "5s", "Timeout": "2s"}}}}'
    )
    status = wait_for(lambda: (s := check_status(url, "service:u2")) and s[1] and s, what="udp refused")
    assert status[0] == "critical"
    assert status[1].startswith("read udp 127.0.0.1:") and status[1].endswith(
        f"->127.0.0.1:{closed}: recvfrom: connection refused"
    )
