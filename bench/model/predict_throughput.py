"""Model-service throughput: predictions per second, single rows and batches of 100, per model.

Measured in one run, on this machine:
- in-process: ``estimator.predict`` on the loaded artifact (the reference, ratio 1.00);
- HTTP: ``POST /api/predict/gdp_growth_rate`` (single) and ``.../batch`` (100 rows) against a
  real ``python -m model_service`` process per model (no Consul: SERVICE_REGISTER=false),
  one keep-alive client, requests sent one after another.
Each cell runs for ``--seconds`` (bounded by ``--max-calls``). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import numpy as np

from model_service import default_model_dir, known_models, load_model

REPO_ROOT = Path(__file__).resolve().parents[2]
ROW = {
    "gdp_per_capita": 42000.0,
    "unemployment_rate": 5.5,
    "gdp_growth_rate_lag": 2.0,
    "gdp_growth_rate_ma": 2.4,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rate(call: Callable[[], object], seconds: float, max_calls: int) -> float:
    """Calls per second of ``call`` over about ``seconds`` (after 3 warm-up calls)."""
    for _ in range(3):
        call()
    calls, start = 0, time.perf_counter()
    while calls < max_calls and time.perf_counter() - start < seconds:
        call()
        calls += 1
    return calls / (time.perf_counter() - start)


def batch_rows(n: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(0)
    return [
        {
            "gdp_per_capita": float(rng.uniform(20000, 45000)),
            "unemployment_rate": float(rng.uniform(3, 10)),
            "gdp_growth_rate_lag": float(rng.uniform(-6, 8)),
            "gdp_growth_rate_ma": float(rng.uniform(-3, 6)),
        }
        for _ in range(n)
    ]


def start_service(model: str, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_REGISTER": "false",
        "GDP_MODEL_NAME": model,
        "LOG_LEVEL": "warning",
    }
    log = open(log_dir / f"{model}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "model_service"], env=env, cwd=REPO_ROOT, stdout=log, stderr=log
    )
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service for {url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.5, help="duration of each measurement")
    parser.add_argument("--max-calls", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    args = parser.parse_args()

    models = known_models(default_model_dir())
    rows = batch_rows(args.batch)
    X1 = np.array([[ROW[k] for k in ROW]])
    XB = np.array([[r[k] for k in ROW] for r in rows])
    results: list[tuple[str, str, int, float, float]] = []  # model, mode, rows/call, calls/s, ratio

    procs: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    log_dir = Path(tempfile.mkdtemp(prefix="bench-model-"))
    try:
        if not args.no_http:  # start all services first: their start-up overlaps
            procs = {model: start_service(model, log_dir) for model in models}
        for model in models:
            estimator = load_model(default_model_dir(), model).estimator
            ref_single = rate(partial(estimator.predict, X1), args.seconds, args.max_calls)
            ref_batch = rate(partial(estimator.predict, XB), args.seconds, args.max_calls)
            results.append((model, "in-process", 1, ref_single, 1.0))
            results.append((model, "in-process", args.batch, ref_batch, 1.0))
            if args.no_http:
                continue
            proc, url = procs[model]
            wait_ready(url, proc)
            with httpx.Client(base_url=url, timeout=10) as client:

                def single() -> None:
                    client.post("/api/predict/gdp_growth_rate", json=ROW).raise_for_status()

                def batch() -> None:
                    client.post("/api/predict/gdp_growth_rate/batch", json={"rows": rows}).raise_for_status()

                http_single = rate(single, args.seconds, args.max_calls)
                http_batch = rate(batch, args.seconds, args.max_calls)
            results.append((model, "HTTP", 1, http_single, http_single / ref_single))
            results.append((model, "HTTP", args.batch, http_batch, http_batch / ref_batch))
    finally:
        for proc, _ in procs.values():
            proc.terminate()
        for proc, _ in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    header = ("model", "mode", "rows/call", "calls/s", "predictions/s", "vs in-process")
    print("{:<17} {:<10} {:>9} {:>10} {:>14} {:>13}".format(*header))
    for model, mode, n, calls, ratio in results:
        print(f"{model:<17} {mode:<10} {n:>9} {calls:>10.1f} {calls * n:>14.0f} {ratio:>13.3f}")
    load = os.getloadavg()[0]
    print(f"(machine: {os.cpu_count()} CPUs, load average {load:.2f}; each cell {args.seconds}s)")


if __name__ == "__main__":
    main()
