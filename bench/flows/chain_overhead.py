"""Orchestration overhead per node: a 5-node chain through ``ServiceOrchestrator`` vs 5 direct calls.

Target (issue #15): overhead per node <= 60 us, for the gateway's caller.

Starts one echo service (no Consul registration needed: every node has host/port), pinned to
the last core (this process runs on the others, as bench/gateway does), then measures in
``--rounds`` interleaved rounds:

* reference: the same 5 POSTs made back to back with the same HTTP client;
* flow: a 5-node chain ``n1 -> ... -> n5`` scheduled by the orchestrator with that client.

Both variants use the one node caller (``CoreNodeCaller`` on the core's ``ServiceClient``,
keep-alive HTTP/1.1 client; standalone orchestrators use it too). Per variant:
the median wall time and this process's CPU time per run (the echo service's work is the
same in both variants and is not counted). The overhead per node is ``(flow - direct) / 5``,
in CPU time (the verdict: it is what the orchestration adds, and it stays meaningful on a
loaded machine where wall times mostly measure waiting for a core) and in wall time. A last
line isolates the engine's own CPU cost per node with an in-memory caller (no network).

    uv run python bench/flows/chain_overhead.py [--runs 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
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
TARGET_US = 60.0


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
    cpus = os.cpu_count() or 1
    pin = ["taskset", "-c", str(cpus - 1)] if shutil.which("taskset") and cpus >= 2 else []
    if pin:  # this process (the client) on the other cores
        os.sched_setaffinity(0, set(range(cpus - 1)))
    proc = subprocess.Popen(
        [*pin, sys.executable, "-m", "echo_service"],
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


class Sample:
    """One measurement: wall seconds of each run, and CPU seconds of this process per run."""

    def __init__(self, wall: list[float], cpu: float) -> None:
        self.wall = wall
        self.cpu = cpu


async def measure(fn: Callable[[], Awaitable[object]], runs: int) -> Sample:
    for _ in range(max(10, runs // 10)):  # warm-up: connections, imports, caches
        await fn()
    samples = []
    cpu0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return Sample(samples, (time.process_time() - cpu0) / runs)


def chain(caller: object, port: int) -> ServiceOrchestrator:
    o = ServiceOrchestrator("bench", caller=caller)  # type: ignore[arg-type]
    nodes = [MicroService(f"n{i}", host="127.0.0.1", port=port, endpoint="/echo") for i in range(NODES)]
    for node in nodes:
        o.add(node)
    for a, b in zip(nodes, nodes[1:], strict=False):
        assert o.flow_to(a, b)
    return o


def spread(values: list[float]) -> str:
    return f"rounds {min(values):.0f} to {max(values):.0f}"


def per_node_us(flow: float, direct: float) -> float:
    return (flow - direct) / NODES * 1e6


def report(label: str, rounds: list[tuple[Sample, Sample]]) -> float:
    """Print one caller's figures; returns the median CPU overhead per node (us)."""
    ref_wall = statistics.median(statistics.median(r.wall) for r, _ in rounds)
    flow_wall = statistics.median(statistics.median(f.wall) for _, f in rounds)
    cpu = [per_node_us(f.cpu, r.cpu) for r, f in rounds]
    wall = [per_node_us(statistics.median(f.wall), statistics.median(r.wall)) for r, f in rounds]
    print(label)
    print(
        f"  5 direct calls : wall median {ref_wall * 1e3:7.3f} ms   "
        f"CPU {statistics.median(r.cpu for r, _ in rounds) * 1e6:6.0f} us"
    )
    print(
        f"  5-node flow    : wall median {flow_wall * 1e3:7.3f} ms   "
        f"CPU {statistics.median(f.cpu for _, f in rounds) * 1e6:6.0f} us"
    )
    print(
        f"  overhead per node: CPU {statistics.median(cpu):.0f} us ({spread(cpu)}), "
        f"wall {statistics.median(wall):.0f} us ({spread(wall)}); "
        f"ratio flow/direct {flow_wall / ref_wall:.2f}x"
    )
    return statistics.median(cpu)


class InMemoryCaller:
    async def call(self, request: NodeRequest, payload: object) -> NodeResponse:
        return NodeResponse(200, "application/json", body=payload, instance="memory")

    async def aclose(self) -> None:
        pass


async def engine_only(runs: int, payload: object, rounds: int) -> float:
    orch = chain(InMemoryCaller(), 1)
    cpu = []
    for _ in range(rounds):
        sample = await measure(lambda: orch.schedule(payload), runs * 5)
        cpu.append(sample.cpu / NODES * 1e6)
    print(f"engine only (in-memory caller): CPU {statistics.median(cpu):.0f} us per node ({spread(cpu)})")
    return statistics.median(cpu)


async def main(runs: int, rounds: int, loop: str) -> None:
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
        core_rounds: list[tuple[Sample, Sample]] = []
        for _ in range(rounds):
            core_rounds.append(
                (await measure(direct_core, runs), await measure(lambda: core_orch.schedule(payload), runs))
            )
        print(f"{rounds} interleaved rounds of {runs} runs on {loop}; CPU = this process's CPU time per run")
        core = report("gateway caller (core ServiceClient)", core_rounds)
        await service_client.close()
        await engine_only(runs, payload, rounds)
        verdict = "PASS" if core <= TARGET_US else "MISS"
        target = f"orchestration overhead per node (gateway caller, CPU) <= {TARGET_US:.0f} us"
        print(f"target: {target}: {core:.0f} us  {verdict}")
        load = os.getloadavg()[0]
        print(
            f"(machine: {os.cpu_count()} CPUs, load average {load:.2f}; echo service pinned to the last core)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="the gateway runs uvloop"
    )
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(main(args.runs, args.rounds, args.loop))
    else:
        asyncio.run(main(args.runs, args.rounds, args.loop))
