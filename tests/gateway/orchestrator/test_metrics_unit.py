"""FlowMetrics with the engine: counts, errors, and an in-flight gauge back at zero after failures."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from gateway.observability import StatisticsStore
from gateway.orchestrator import FlowError, MicroService, ServiceOrchestrator
from gateway.orchestrator.metrics import FlowMetrics

from .fakes import FakeCaller, const, echo, failing, sse


def make(caller: FakeCaller, metrics: FlowMetrics, *nodes: MicroService) -> ServiceOrchestrator:
    o = ServiceOrchestrator("f", caller=caller, observer=metrics)
    for node in nodes:
        o.add(node)
    return o


async def test_in_flight_returns_to_zero_after_success_failure_timeout_and_cancel() -> None:
    registry, stats = CollectorRegistry(), StatisticsStore()
    metrics = FlowMetrics(registry, stats)
    caller = FakeCaller({"ok": echo(), "bad": failing(99, status=500), "slow": const({}, delay=5)})

    await make(caller, metrics, MicroService("ok")).schedule({})
    with pytest.raises(FlowError):
        await make(caller, metrics, MicroService("bad")).schedule({})
    with pytest.raises(FlowError):
        await make(caller, metrics, MicroService("slow", timeout=0.1)).schedule({})

    task = asyncio.create_task(make(caller, metrics, MicroService("slow")).schedule({}))
    await asyncio.sleep(0.1)
    assert metrics.in_flight_value("f") == 1.0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert metrics.in_flight_value("f") == 0.0

    get = registry.get_sample_value
    assert get("gateway_flow_requests_total", {"flow": "f", "outcome": "ok"}) == 1
    assert get("gateway_flow_requests_total", {"flow": "f", "outcome": "error"}) == 3
    assert get("gateway_flow_node_calls_total", {"flow": "f", "node": "bad", "outcome": "error"}) == 1
    summary = stats.get("flow", "f")
    assert summary is not None and summary["count"] == 4 and summary["errors"] == 3
    assert summary["p50_ms"] is not None and summary["p99_ms"] >= summary["p50_ms"]
    node = stats.get("flow_node", "f/ok")
    assert node is not None and node["count"] == 1 and node["errors"] == 0


async def test_stream_gauge_closes_when_consumed_and_when_the_flow_fails() -> None:
    registry = CollectorRegistry()
    metrics = FlowMetrics(registry)
    caller = FakeCaller({"llm": sse(["a", "b"]), "bad": failing(99, status=500)})
    result, _ = await make(caller, metrics, MicroService("llm")).schedule({})
    assert registry.get_sample_value("gateway_flow_streams_open", {"flow": "f"}) == 1.0
    body = [c async for c in result["llm/MicroService"].body_iterator]
    assert len(body) == 2
    assert registry.get_sample_value("gateway_flow_streams_open", {"flow": "f"}) == 0.0

    slow_bad = FakeCaller({"llm": sse(["a"]), "bad": failing(99, status=500)})

    async def late_failure(payload: object) -> object:
        await asyncio.sleep(0.05)
        return await failing(99, status=500)(payload)

    slow_bad.on("bad", late_failure)
    with pytest.raises(FlowError):
        await make(slow_bad, metrics, MicroService("llm"), MicroService("bad")).schedule({})
    assert registry.get_sample_value("gateway_flow_streams_open", {"flow": "f"}) == 0.0
