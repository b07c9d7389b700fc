"""Agent operations against a real dev agent: metrics (JSON and Prometheus), reload, leave,
force-leave and monitor (Consul's agent/agent_endpoint.go, website/content/api-docs/agent/index.mdx)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.support.processes import dev_agent, free_port


def test_metrics_json_has_go_metrics_shape(agent_url: str) -> None:
    httpx.get(f"{agent_url}/v1/agent/self")
    body = httpx.get(f"{agent_url}/v1/agent/metrics").json()
    assert set(body) == {"Timestamp", "Gauges", "Points", "Counters", "Samples"}
    assert body["Timestamp"].endswith(" +0000 UTC")
    gauges = {g["Name"]: g["Value"] for g in body["Gauges"]}
    assert gauges["consul.state.nodes"] >= 1 and gauges["consul.runtime.alloc_bytes"] > 0
    sample = next(s for s in body["Samples"] if s["Name"] == "consul.api.http")
    assert set(sample) == {"Name", "Count", "Rate", "Sum", "Min", "Max", "Mean", "Stddev", "Labels"}
    assert any(c["Name"] == "consul.client.api.agent_self" for c in body["Counters"])


def test_metrics_prometheus_needs_a_retention_time_like_consul(agent_url: str) -> None:
    r = httpx.get(f"{agent_url}/v1/agent/metrics", params={"format": "prometheus"})
    assert (r.status_code, r.text) == (
        415,
        "Prometheus is not enabled since its retention time is not positive",
    )
    with dev_agent(None, "--prometheus-retention-time", "60s") as url:
        httpx.get(f"{url}/v1/agent/self")
        for how in (
            {"params": {"format": "prometheus"}},
            {"headers": {"Accept": "application/openmetrics-text"}},
        ):
            r = httpx.get(f"{url}/v1/agent/metrics", **how)  # type: ignore[arg-type]
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
            assert "# TYPE consul_state_nodes gauge" in r.text
            assert 'consul_api_http_count{method="GET",path="v1_agent_self"}' in r.text


def test_reload_and_force_leave(agent_url: str) -> None:
    assert httpx.put(f"{agent_url}/v1/agent/reload").status_code == 200
    assert httpx.get(f"{agent_url}/v1/agent/reload").status_code == 405
    r = httpx.put(f"{agent_url}/v1/agent/force-leave/ghost-node?prune")
    assert (r.status_code, r.text) == (500, "agent: No node found with name 'ghost-node'")
    node = httpx.get(f"{agent_url}/v1/agent/self").json()["Config"]["NodeName"]
    assert httpx.put(f"{agent_url}/v1/agent/force-leave/{node}").status_code == 200


def test_monitor_rejects_unknown_level_and_streams_logs(agent_url: str) -> None:
    r = httpx.get(f"{agent_url}/v1/agent/monitor", params={"loglevel": "chatty"})
    assert (r.status_code, r.text) == (400, "Unknown log level: chatty")
    with httpx.stream(
        "GET", f"{agent_url}/v1/agent/monitor", params={"loglevel": "info"}, timeout=10
    ) as resp:
        assert resp.status_code == 200
        lines = resp.iter_lines()
        assert "monitor attached" in next(lines)
        httpx.put(f"{agent_url}/v1/agent/reload")
        assert "Reloading configuration" in next(lines)


def test_leave_stops_the_agent() -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "devagent", "--port", str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/v1/status/leader")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.put(f"{url}/v1/agent/leave").status_code == 200
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
