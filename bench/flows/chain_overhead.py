"""Orchestration overhead per node: a 5-node chain through ``ServiceOrchestrator`` vs 5 direct calls.

Starts one echo service (no Consul registration needed: every node has host/port), then
measures, sequentially and in the same run:

* reference: the same 5 POSTs made back to back with the same HTTP client;
* flow: a 5-node chain ``n1 -> ... -> n5`` scheduled by the orchestrator with that client.

Both variants use the one node caller (``CoreNodeCaller`` on the core's ``ServiceClient``,
keep-alive HTTP/1.1 client; standalone orchestrators use it too). Prints median and p90 per
variant, the ratio flow/reference and the overhead per node in microseconds. A last line
isolates the engine's own CPU cost per node with an in-memory caller (no network), which
is stable even on a busy machine where the network numbers are noisy.

    uv run python bench/flows/chain_overhead.py [--runs 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

from gateway.balancing import Balancer
from gateway.orchestrator import MicroService, NodeRequest, NodeResponse, ServiceOrchestrator
from gateway.orchestrator.core_caller import CoreNodeCaller
from gateway.upstream import Ejector, ServiceClient

ROOT = Path(__file__).resolve().parents[2]
NODES = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_echo(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_REGISTER": "false",
        "LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "echo_service"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("echo service did not start")


async def measure(fn: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    for _ in range(max(10, runs // 10)):  # warm-up: connections, imports, caches
        await fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return samples


def chain(caller: object, port: int) -> ServiceOrchestrator:
    o = ServiceOrchestrator("bench", caller=caller)  # type: ignore[arg-type]
    nodes = [MicroService(f"n{i}", host="127.0.0.1", port=port, endpoint="/echo") for i in range(NODES)]
    for node in nodes:
        o.add(node)
    for a, b in zip(nodes, nodes[1:], strict=False):
        assert o.flow_to(a, b)
    return o


def report(label: str, ref: list[float], flow: list[float]) -> None:
    ref_med, flow_med = statistics.median(ref), statistics.median(flow)
    p90 = lambda xs: sorted(xs)[int(0.9 * len(xs)) - 1]  # noqa: E731
    print(f"{label}")
    print(f"  5 direct calls : median {ref_med * 1e3:7.3f} ms   p90 {p90(ref) * 1e3:7.3f} ms")
    print(f"  5-node flow    : median {flow_med * 1e3:7.3f} ms   p90 {p90(flow) * 1e3:7.3f} ms")
    print(
        f"  ratio flow/direct = {flow_med / ref_med:.2f}x   overhead per node = "
        f"{(flow_med - ref_med) / NODES * 1e6:.0f} us"
    )


class InMemoryCaller:
    async def call(self, request: NodeRequest, payload: object) -> NodeResponse:
        return NodeResponse(200, "application/json", body=payload, instance="memory")

    async def aclose(self) -> None:
        pass


async def engine_only(runs: int, payload: object) -> None:
    orch = chain(InMemoryCaller(), 1)
    samples = await measure(lambda: orch.schedule(payload), runs * 5)
    print(f"engine only (in-memory caller): {statistics.median(samples) / NODES * 1e6:.0f} us per node")


async def main(runs: int) -> None:
    port = free_port()
    proc = start_echo(port)
    payload = {"message": "Hello World", "n": list(range(20))}
    body = json.dumps(payload).encode()
    try:
        service_client = ServiceClient(lambda: None, Balancer(), Ejector())  # type: ignore[arg-type,return-value]

        async def direct_core() -> None:
            data = body
            for _ in range(NODES):
                resp = await service_client.request_direct(
                    "127.0.0.1",
                    port,
                    "POST",
                    "/echo",
                    body=data,
                    headers={"content-type": "application/json"},
                )
                data = resp.body

        core_orch = chain(CoreNodeCaller(service_client), port)
        ref = await measure(direct_core, runs)
        flow = await measure(lambda: core_orch.schedule(payload), runs)
        report("gateway caller (core ServiceClient)", ref, flow)
        await service_client.close()
        await engine_only(runs, payload)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    asyncio.run(main(parser.parse_args().runs))
