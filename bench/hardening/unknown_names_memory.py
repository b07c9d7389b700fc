"""Memory under hostile names: 200k requests to ``/svc/<distinct unknown name>/x``.

Starts a dev agent and a gateway on free loopback ports, warms the gateway up (5k requests
with other unknown names), records its RSS, then sends ``--requests`` requests (default
200,000) over ``--connections`` keep-alive raw-socket connections, each to a new service name.
Every answer must be 503. Targets (issue #10): RSS within 10 MB of where it started and
``/metrics`` under 1 MB. Prints the figures and PASS/MISS. A benchmark, not a timed test.

    uv run python bench/hardening/unknown_names_memory.py [--requests 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RSS_BUDGET_MB = 10.0
METRICS_BUDGET = 1 << 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.1)
    raise TimeoutError(url)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _connection(port: int, names: range, prefix: str, bad: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in names:
            writer.write(f"GET /svc/{prefix}-{i}/x HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if status != 503:
                bad.append(status)
    finally:
        writer.close()


async def drive(port: int, total: int, connections: int, prefix: str) -> list[int]:
    bad: list[int] = []
    per = total // connections
    await asyncio.gather(
        *(_connection(port, range(c * per, (c + 1) * per), prefix, bad) for c in range(connections))
    )
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    consul_port, gw_port = free_port(), free_port()
    env = {**os.environ, "LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT / "service-discovery")}
    agent = subprocess.Popen(
        [sys.executable, "-m", "devagent", "--port", str(consul_port)], env=env, cwd=ROOT
    )
    gw_env = {
        **env,
        "SERVICE_PORT": str(gw_port),
        "SERVICE_HOST": "127.0.0.1",
        "CONSUL_HTTP_ADDR": f"http://127.0.0.1:{consul_port}",
        "ACCESS_LOG": "false",
    }
    gateway = subprocess.Popen([sys.executable, "-m", "gateway"], env=gw_env, cwd=ROOT)
    try:
        wait_http(f"http://127.0.0.1:{gw_port}/ready")
        asyncio.run(drive(gw_port, 5_000, args.connections, "warmup"))
        start_rss = rss_mb(gateway.pid)
        started = time.perf_counter()
        bad = asyncio.run(drive(gw_port, args.requests, args.connections, "hostile"))
        elapsed = time.perf_counter() - started
        end_rss = rss_mb(gateway.pid)
        scrape = time.perf_counter()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{gw_port}/metrics", timeout=60) as resp:
                metrics_size = len(resp.read())
        except OSError as exc:  # a scrape this slow is itself a miss
            print(f"/metrics failed: {exc}")
            metrics_size = METRICS_BUDGET
        scrape_s = time.perf_counter() - scrape
    finally:
        for proc in (gateway, agent):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    sent = args.requests // args.connections * args.connections
    growth = end_rss - start_rss
    rate = sent / elapsed
    print(f"requests: {sent} distinct unknown names in {elapsed:.1f} s ({rate:.0f}/s), non-503: {len(bad)}")
    print(f"gateway RSS: {start_rss:.1f} -> {end_rss:.1f} MB (growth {growth:+.1f}, budget {RSS_BUDGET_MB})")
    print(f"/metrics: {metrics_size} bytes in {scrape_s:.2f} s (budget {METRICS_BUDGET} bytes)")
    ok = growth <= RSS_BUDGET_MB and metrics_size < METRICS_BUDGET and not bad
    print("PASS" if ok else "MISS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
