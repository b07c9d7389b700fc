"""Autoscaling under a load step (process runtime, loopback): 1 client, then 16 concurrent
prediction clients for 60 s, then none.

Prints the time until the replicas reach the target count (ceil(16 / target_in_flight),
capped by max_replicas), p50/p99 latency before the step (1 client), during the scale-up
(16 clients, replicas still launching) and after it (16 clients on the scaled replicas),
the failed requests, and the time back to min_replicas once the load stops. Writes a PNG
(load, replicas, p99 over time) to bench/results/autoscale.png.

Targets (PASS/MISS): 0 failed requests; the target count reached within the step; back to
min within 2x scale_down_delay_s after the load stops; p99 after the scale-up below p99
during it (the reference measured in the same run: scaling has to help).

    make bench-autoscale            BENCH_STEP_S=60 BENCH_CLIENTS=16 (environment)
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from servicekit.contracts import GDP_EXAMPLE  # noqa: E402
from tests.support.processes import dev_agent, replica_gateway  # noqa: E402

STEP_S = float(os.environ.get("BENCH_STEP_S", "60"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
BEFORE_S = float(os.environ.get("BENCH_BEFORE_S", "15"))
MODEL = os.environ.get("BENCH_MODEL", "RandomForest")
TOKEN = "bench-autoscale"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
POLICY = {
    "min_replicas": 1,
    "max_replicas": 4,
    "target_in_flight": 2,
    "stable_window_s": 10,
    "panic_window_s": 2,
    "scale_up_delay_s": 0,
    "scale_down_delay_s": 10,
}
TARGET = min(POLICY["max_replicas"], math.ceil(CLIENTS / POLICY["target_in_flight"]))
OUT = Path(__file__).resolve().parents[1] / "results" / "autoscale.png"


@dataclass
class Recorder:
    """Every request: (start time, latency, ok), appended by the client threads."""

    t0: float = field(default_factory=time.monotonic)
    samples: list[tuple[float, float, bool]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, seconds: float, ok: bool, why: str = "") -> None:
        with self.lock:
            self.samples.append((started - self.t0, seconds, ok))
            if not ok and len(self.failures) < 10:
                self.failures.append(why)

    def latencies(self, start: float, end: float) -> list[float]:
        return [s for t, s, ok in self.samples if start <= t < end and ok]


class Load:
    """``n`` closed-loop clients; ``set(n)`` changes their number."""

    def __init__(self, url: str, rec: Recorder) -> None:
        self.url = url
        self.rec = rec
        self.wanted = 0
        self.threads: list[threading.Thread] = []
        self.body = {**GDP_EXAMPLE, "model": MODEL}

    def set(self, n: int) -> None:
        self.wanted = n
        while len([t for t in self.threads if t.is_alive()]) < n:
            index = len(self.threads)
            thread = threading.Thread(target=self._client, args=(index,), daemon=True)
            self.threads.append(thread)
            thread.start()
        if n == 0:
            for thread in self.threads:
                thread.join()
            self.threads = []

    def _client(self, index: int) -> None:
        with httpx.Client(timeout=60) as http:
            while index < self.wanted:
                started = time.monotonic()
                try:
                    resp = http.post(f"{self.url}/api/predict/gdp_growth_rate", json=self.body)
                    ok, why = resp.status_code == 200, f"{resp.status_code} {resp.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, why = False, repr(exc)
                self.rec.add(started, time.monotonic() - started, ok, why)


def status(url: str) -> dict[str, Any]:
    try:
        resp = httpx.get(f"{url}/api/models/{MODEL}/autoscaling", timeout=5)
        return (resp.json().get("status") or {}) if resp.status_code == 200 else {}
    except httpx.HTTPError:
        return {}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def plot(timeline: list[tuple[float, int, int, int]], rec: Recorder, marks: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = [p[0] for p in timeline]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    axes[0].step(ts, [p[1] for p in timeline], where="post")
    axes[0].set_ylabel("clients")
    axes[1].step(ts, [p[2] for p in timeline], where="post", label="serving")
    axes[1].step(ts, [p[3] for p in timeline], where="post", label="desired", linestyle="--")
    axes[1].set_ylabel("replicas")
    axes[1].legend(loc="upper right")
    seconds = range(int(ts[-1]) + 1)
    p99 = [pct(rec.latencies(s, s + 1), 0.99) * 1000 for s in seconds]
    axes[2].plot(list(seconds), p99)
    axes[2].set_ylabel("p99 latency (ms, per second)")
    axes[2].set_xlabel("seconds")
    for name, t in marks.items():
        for ax in axes:
            ax.axvline(t, color="grey", linewidth=0.6)
        axes[0].annotate(name, (t, 0), fontsize=7, rotation=90, va="bottom")
    fig.suptitle(f"autoscaling {MODEL}: 1 -> {CLIENTS} clients for {STEP_S:g}s -> 0 (process runtime)")
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=100)


def main() -> int:
    with dev_agent() as agent:
        gateway = replica_gateway(
            agent,
            token=TOKEN,
            stack="cgbench-autoscale",
            name="bench-autoscale",
            GATEWAY_KV_PREFIX=f"cgbench-{uuid.uuid4().hex[:8]}/",
            GATEWAY_BALANCER="least_in_flight",
            REPLICA_MAX_PER_MODEL="4",
            REPLICA_LAUNCH_TIMEOUT="120",
            AUTOSCALER_TICK="0.5",
            AUTOSCALER_PUBLISH_INTERVAL="0.5",
            ACCESS_LOG="false",
        )
        url: str = gateway.url  # type: ignore[attr-defined]
        with gateway:
            resp = httpx.put(f"{url}/api/models/{MODEL}/autoscaling", json=POLICY, headers=AUTH, timeout=10)
            resp.raise_for_status()
            deadline = time.monotonic() + 120
            while status(url).get("replicas") != 1:
                if time.monotonic() > deadline:
                    print(gateway.output()[-3000:])
                    return 1
                time.sleep(0.5)

            rec = Recorder()
            load = Load(url, rec)
            timeline: list[tuple[float, int, int, int]] = []
            marks: dict[str, float] = {}

            def sample(clients: int) -> dict[str, Any]:
                st = status(url)
                timeline.append(
                    (
                        time.monotonic() - rec.t0,
                        clients,
                        int(st.get("replicas") or 0),
                        int(st.get("desired_replicas") or 0),
                    )
                )
                return st

            load.set(1)
            while time.monotonic() - rec.t0 < BEFORE_S:
                sample(1)
                time.sleep(0.5)
            step = marks["step"] = time.monotonic() - rec.t0
            load.set(CLIENTS)
            reached: float | None = None
            while time.monotonic() - rec.t0 < step + STEP_S:
                st = sample(CLIENTS)
                if reached is None and int(st.get("replicas") or 0) >= TARGET:
                    reached = marks["target reached"] = time.monotonic() - rec.t0
                time.sleep(0.5)
            stop = marks["load off"] = time.monotonic() - rec.t0
            load.set(0)
            back: float | None = None
            limit = 4 * POLICY["scale_down_delay_s"] + 60
            while time.monotonic() - rec.t0 < stop + limit:
                st = sample(0)
                if int(st.get("replicas") or 0) == POLICY["min_replicas"] and not st.get("draining"):
                    back = marks["back to min"] = time.monotonic() - rec.t0
                    break
                time.sleep(0.5)
            for _ in range(4):
                sample(0)
                time.sleep(0.5)

    failed = sum(1 for _, _, ok in rec.samples if not ok)
    before = rec.latencies(0, step)
    during = rec.latencies(step, reached if reached is not None else stop)
    after = rec.latencies(reached, stop) if reached is not None else []
    plot(timeline, rec, marks)

    def ms(values: list[float]) -> str:
        p50, p99 = pct(values, 0.5) * 1000, pct(values, 0.99) * 1000
        return f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({len(values)} requests)"

    print(f"\nautoscale benchmark ({MODEL}, process runtime, target {TARGET} replicas, measured under load)")
    print(f"  before (1 client):                {ms(before)}")
    print(f"  during scale-up ({CLIENTS} clients):      {ms(during)}")
    print(f"  after scale-up ({CLIENTS} clients):       {ms(after)}")
    to_target = None if reached is None else reached - step
    to_min = None if back is None else back - stop
    print(f"  time to {TARGET} replicas: " + ("not reached" if to_target is None else f"{to_target:.1f} s"))
    print(
        f"  time back to min ({POLICY['min_replicas']}): "
        + ("not reached" if to_min is None else f"{to_min:.1f} s")
    )
    print(f"  requests: {len(rec.samples)} total, {failed} failed {rec.failures[:3] if failed else ''}")
    print(f"  plot: {OUT}")
    verdicts = [
        ("failed requests == 0", failed == 0, f"{failed}"),
        (f"{TARGET} replicas within the {STEP_S:g} s step", to_target is not None, f"{to_target}"),
        (
            f"back to min within {2 * POLICY['scale_down_delay_s'] + 30} s (2x delay + drains)",
            to_min is not None and to_min <= 2 * POLICY["scale_down_delay_s"] + 30,
            f"{to_min}",
        ),
    ]
    if during and after:
        ratio = pct(after, 0.99) / pct(during, 0.99)
        verdicts.append(("p99 after / p99 during scale-up < 1", ratio < 1, f"{ratio:.2f}"))
    for name, ok, value in verdicts:
        print(f"  {name}: {value}  {'PASS' if ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
