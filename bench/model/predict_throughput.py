"""Model-service throughput vs the echo service, measured side by side in one run.

Target (issue #15): every shipped model serves single-row predictions over HTTP at >= 40 % of
the echo service's rate (same framework, same machine, same client, same run).

Measured:
- HTTP: ``POST /api/predict/gdp_growth_rate`` (one row) and ``.../batch`` (``--batch`` rows)
  against a real ``python -m model_service`` process per model, and ``POST /echo`` with the
  same JSON row against ``python -m echo_service`` (the reference). No Consul
  (SERVICE_REGISTER=false), 127.0.0.1 only. One keep-alive ``http.client`` connection, requests
  one after another; the services share the last core, the client runs on the others
  (``taskset``, as bench/gateway does).
- in-process: the service's predictor (``Predictor.predict_sync``, the compiled evaluator) and
  scikit-learn's ``estimator.predict`` on the same rows, for context.
Every cell is measured ``--repeats`` times, interleaved (echo, model, model, ... per round),
so a burst of load from elsewhere hits every service alike; ranges are min-max over repeats
and the ratio is the median of the per-round ratios.

Usage: ``uv run python bench/model/predict_throughput.py [--seconds 1.5] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from model_service import default_model_dir, known_models, load_model
from model_service.predictor import Predictor

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 0.40
ROW = {
    "gdp_per_capita": 42000.0,
    "unemployment_rate": 5.5,
    "gdp_growth_rate_lag": 2.0,
    "gdp_growth_rate_ma": 2.4,
}
ECHO = "echo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pins() -> tuple[list[str], list[str]]:
    """(client prefix, service prefix): services on the last core, the client on the others."""
    cpus = os.cpu_count() or 1
    if not shutil.which("taskset") or cpus < 2:
        return [], []
    return ["taskset", "-c", f"0-{cpus - 2}"], ["taskset", "-c", str(cpus - 1)]


def rate(call: Callable[[], object], seconds: float, max_calls: int) -> float:
    """Calls per second of ``call`` over about ``seconds`` (after 20 warm-up calls)."""
    for _ in range(20):
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


def start_service(name: str, log_dir: Path, pin: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_REGISTER": "false",
        "LOG_LEVEL": "warning",
    }
    if name == ECHO:
        module = "echo_service"
    else:
        module = "model_service"
        env["GDP_MODEL_NAME"] = name
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [*pin, sys.executable, "-m", module], env=env, cwd=REPO_ROOT, stdout=log, stderr=log
    )
    return proc, port


class Client:
    """One keep-alive HTTP/1.1 connection; ``post`` raises unless the answer is 200."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get_status(self, path: str) -> int:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        response.read()
        return response.status

    def post(self, path: str, body: bytes) -> bytes:
        self.conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path}: {response.status} {data[:200]!r}")
        return data

    def close(self) -> None:
        self.conn.close()


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service on port {port} exited with {proc.returncode}")
        client = Client(port)
        try:
            if client.get_status("/health") == 200:
                return
        except OSError:
            pass
        finally:
            client.close()
        time.sleep(0.1)
    raise TimeoutError(f"service on port {port} not ready")


def measure(port: int, path: str, body: bytes, seconds: float, max_calls: int) -> float:
    """POSTs per second on a fresh keep-alive connection (servers close idle ones)."""
    client = Client(port)
    try:
        return rate(partial(client.post, path, body), seconds, max_calls)
    finally:
        client.close()


def span(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}" if len(values) > 1 else f"{values[0]:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.5, help="duration of each measurement")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--max-calls", type=int, default=50000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    args = parser.parse_args()

    client_pin, service_pin = ([], []) if args.no_pin else pins()
    if client_pin:  # this process is the client: every core but the services' one
        os.sched_setaffinity(0, set(range((os.cpu_count() or 2) - 1)))
    models = known_models(default_model_dir())
    rows = batch_rows(args.batch)
    single_body = json.dumps(ROW).encode()
    batch_body = json.dumps({"rows": rows}).encode()
    X1 = np.array([[ROW[k] for k in ROW]])
    XB = np.array([[r[k] for k in ROW] for r in rows])

    # in-process context: scikit-learn's predict vs the service's predictor, calls/s
    inproc: dict[str, dict[str, float]] = {}
    for model in models:
        loaded = load_model(default_model_dir(), model)
        predictor = Predictor(loaded, threads=1)
        inproc[model] = {
            "sklearn 1": rate(partial(loaded.estimator.predict, X1), args.seconds / 2, args.max_calls),
            "service 1": rate(partial(predictor.predict_sync, X1), args.seconds / 2, args.max_calls),
            f"sklearn {args.batch}": rate(
                partial(loaded.estimator.predict, XB), args.seconds / 2, args.max_calls
            ),
            f"service {args.batch}": rate(
                partial(predictor.predict_sync, XB), args.seconds / 2, args.max_calls
            ),
        }
        print(f"{model}: service predicts with {predictor.engine}")
        predictor.close()

    names = [ECHO, *models]
    single: dict[str, list[float]] = {n: [] for n in names}
    batch: dict[str, list[float]] = {n: [] for n in models}
    ratios: dict[str, list[float]] = {n: [] for n in models}
    log_dir = Path(tempfile.mkdtemp(prefix="bench-model-"))
    procs = {name: start_service(name, log_dir, service_pin) for name in names}  # start-ups overlap
    try:
        for proc, port in procs.values():
            wait_ready(port, proc)
        ports = {name: port for name, (_, port) in procs.items()}
        for _ in range(args.repeats):
            for name in names:
                path = "/echo" if name == ECHO else "/api/predict/gdp_growth_rate"
                single[name].append(measure(ports[name], path, single_body, args.seconds, args.max_calls))
            for model in models:
                ratios[model].append(single[model][-1] / single[ECHO][-1])
                path = "/api/predict/gdp_growth_rate/batch"
                batch[model].append(measure(ports[model], path, batch_body, args.seconds, args.max_calls))
    finally:
        for proc, _ in procs.values():
            proc.terminate()
        for proc, _ in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    print()
    rounds = f"{args.repeats} interleaved rounds of {args.seconds}s"
    print(f"HTTP, one keep-alive client, {rounds} (calls/s, min-max)")
    header = ("service", "single calls/s", "vs echo (median)", f"batch {args.batch} calls/s", "predictions/s")
    print("{:<17} {:>15} {:>17} {:>17} {:>14}".format(*header))
    print(f"{ECHO:<17} {span(single[ECHO]):>15} {'1.00':>17} {'':>17} {'':>14}")
    for model in models:
        ratio = statistics.median(ratios[model])
        predictions = statistics.median(batch[model]) * args.batch
        cells = f"{span(single[model]):>15} {ratio:>17.2f} {span(batch[model]):>17}"
        print(f"{model:<17} {cells} {predictions:>14.0f}")
    print()
    print("in-process calls/s (context): scikit-learn predict vs the service's predictor")
    print(
        "{:<17} {:>12} {:>12} {:>14} {:>14}".format(
            "model", "sklearn 1", "service 1", f"sklearn {args.batch}", f"service {args.batch}"
        )
    )
    for model in models:
        c = inproc[model]
        print(
            f"{model:<17} {c['sklearn 1']:>12.0f} {c['service 1']:>12.0f} "
            f"{c[f'sklearn {args.batch}']:>14.0f} {c[f'service {args.batch}']:>14.0f}"
        )
    print()
    print(f"target: single-row HTTP rate >= {TARGET_RATIO:.2f} x echo's, every model")
    missed = 0
    for model in models:
        ratio = statistics.median(ratios[model])
        verdict = "PASS" if ratio >= TARGET_RATIO else "MISS"
        missed += verdict == "MISS"
        lo, hi = min(ratios[model]), max(ratios[model])
        print(f"  {model:<17} {ratio:.2f} (rounds {lo:.2f}-{hi:.2f})  {verdict}")
    load = os.getloadavg()[0]
    pinned = "services on the last core, client on the others" if service_pin else "not pinned"
    print(f"(machine: {os.cpu_count()} CPUs, load average {load:.2f}, {pinned})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
