"""Benchmark the dev agent: health-query latency with 1,000 instances and blocking-query wake-up latency.

Starts ``python -m devagent`` itself on a free loopback port, registers the instances (each with a
passing TTL check), then measures over keep-alive HTTP connections:

* ``GET /v1/health/service/<name>?passing`` p50/p99 for two layouts of the same 1,000 instances:
  one name with 1,000 instances (the hard case: ~2 MB pretty JSON per answer) and 100 names x 10;
* the floor: ``GET /v1/status/leader`` (tiny body, no catalog work) measured the same way;
* blocking-query wake-up: a query blocked on ``?index=`` for the service, time from sending a
  status change (TTL pass/fail of one instance) to having the woken query's full body.

The one-name layout runs twice: with the default JSON indented like ``consul agent -dev``
(~2.8 MB per answer) and with ``--no-pretty`` (compact, like a non-dev agent, ~1.3 MB).
Targets: health p99 <= 10 ms, wake-up <= 50 ms.
Prints a table and whether the targets are met.
Usage: ``uv run python bench/discovery/bench_discovery.py [--requests 400] [--wakeups 30]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

HEALTH_P99_TARGET_MS = 10.0
WAKEUP_TARGET_MS = 50.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Conn:
    """A keep-alive HTTP/1.1 connection returning (status, headers, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        self.conn.request(method, path, body=body)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def close(self) -> None:
        self.conn.close()


def start_agent(port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devagent", "--port", str(port), "--log-level", "warning", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = Conn(port)
            if c.request("GET", "/v1/status/leader")[0] == 200:
                c.close()
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("agent did not start")


def stop_agent(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def register(conn: Conn, layout: list[tuple[str, str]]) -> None:
    for name, sid in layout:
        body = json.dumps(
            {
                "Name": name,
                "ID": sid,
                "Address": "10.0.0.1",
                "Port": 8080,
                "Tags": ["v1", "bench"],
                "Meta": {"zone": "a"},
                "Check": {"TTL": "1h", "Status": "passing"},
            }
        ).encode()
        status, _, data = conn.request("PUT", "/v1/agent/service/register", body)
        assert status == 200, data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Row:
    name: str
    p50: float
    p99: float
    target: str
    met: str
    note: str = ""


def measure_get(conn: Conn, path: str, n: int) -> tuple[list[float], int]:
    size = 0
    for _ in range(20):  # warm-up (fills the per-index body cache)
        conn.request("GET", path)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, _, body = conn.request("GET", path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert status == 200
        size = len(body)
    return samples, size


def measure_wakeups(port: int, name: str, check_id: str, n: int) -> list[float]:
    ctl = Conn(port)
    samples = []
    status_word = ["fail", "pass"]
    for i in range(n):
        _, headers, _ = ctl.request("GET", f"/v1/health/service/{name}")
        index = headers["x-consul-index"]
        done: dict[str, float] = {}
        waiter = Conn(port)

        def wait(w: Conn = waiter, idx: str = index, out: dict[str, float] = done) -> None:
            w.request("GET", f"/v1/health/service/{name}?index={idx}&wait=30s")
            out["t"] = time.perf_counter()

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.15)  # let the query block on the server
        t_change = time.perf_counter()
        ctl.request("PUT", f"/v1/agent/check/{status_word[i % 2]}/{check_id}")
        thread.join(timeout=30)
        waiter.close()
        samples.append((done["t"] - t_change) * 1000)
    ctl.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="GETs per measurement")
    parser.add_argument("--wakeups", type=int, default=30, help="blocking wake-ups per layout")
    args = parser.parse_args()

    rows: list[Row] = []
    one = [("bench-one", f"one-{i:04d}") for i in range(1000)]
    many = [(f"bench-{i // 10:03d}", f"many-{i:04d}") for i in range(1000)]
    runs = [
        ("1 name x 1000 (dev-mode indented)", one, []),
        ("1 name x 1000, --no-pretty", one, ["--no-pretty"]),
        ("100 names x 10", many, []),
    ]
    for label, layout, agent_args in runs:
        port = free_port()
        proc = start_agent(port, agent_args)
        try:
            conn = Conn(port)
            t0 = time.perf_counter()
            register(conn, layout)
            reg_ms = (time.perf_counter() - t0) * 1000
            floor, _ = measure_get(conn, "/v1/status/leader", args.requests)
            name = layout[0][0]
            health, size = measure_get(conn, f"/v1/health/service/{name}?passing", args.requests)
            _, _, body = conn.request("GET", f"/v1/health/service/{name}?passing")
            count = len(json.loads(body))
            conn.close()
            wake = measure_wakeups(port, name, f"service:{layout[0][1]}", args.wakeups)
        finally:
            stop_agent(proc)
        p99 = percentile(health, 0.99)
        rows.append(
            Row(
                f"[{label}] floor GET /v1/status/leader",
                percentile(floor, 0.5),
                percentile(floor, 0.99),
                "reference",
                "-",
            )
        )
        rows.append(
            Row(
                f"[{label}] GET /v1/health/service/{name}?passing",
                percentile(health, 0.5),
                p99,
                f"p99 <= {HEALTH_P99_TARGET_MS:g} ms",
                "yes" if p99 <= HEALTH_P99_TARGET_MS else "NO",
                f"{count} entries, {size / 1024:.0f} KiB; "
                f"p50 = {percentile(health, 0.5) / percentile(floor, 0.5):.1f}x "
                f"floor; register 1000: {reg_ms / 1000:.2f} s",
            )
        )
        wp99 = percentile(wake, 0.99)
        rows.append(
            Row(
                f"[{label}] blocking wake-up after a check change",
                percentile(wake, 0.5),
                wp99,
                f"<= {WAKEUP_TARGET_MS:g} ms",
                "yes" if wp99 <= WAKEUP_TARGET_MS else "NO",
                f"{len(wake)} wake-ups, max {max(wake):.1f} ms, mean {statistics.mean(wake):.1f} ms",
            )
        )

    width = max(len(r.name) for r in rows)
    print(f"{'measurement'.ljust(width)}  {'p50 ms':>8}  {'p99 ms':>8}  {'target':<16} met  notes")
    for r in rows:
        print(f"{r.name.ljust(width)}  {r.p50:8.2f}  {r.p99:8.2f}  {r.target:<16} {r.met:<4} {r.note}")
    for r in (r for r in rows if r.met in ("yes", "NO")):  # one verdict line per target (make bench)
        print(f"target: {r.name} p99 {r.target}: {r.p99:.2f} ms  {'PASS' if r.met == 'yes' else 'MISS'}")
    if any(r.met == "NO" for r in rows):
        print("\nSome targets were NOT met on this machine (see rows marked NO).")
    else:
        print("\nAll targets met.")


if __name__ == "__main__":
    main()
