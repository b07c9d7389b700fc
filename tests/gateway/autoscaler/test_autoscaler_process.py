"""The autoscaler end to end with the process runtime: a dev agent, the gateway and real
``python -m model_service`` replicas launched and removed by the autoscaler under load."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from servicekit.contracts import GDP_EXAMPLE
from tests.support.processes import (
    ServiceProcess,
    dev_agent,
    replica_gateway,
    wait_until,
)

TOKEN = "autoscale-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Short windows and delays so the whole cycle fits in a test.
FAST = {
    "target_in_flight": 2,
    "stable_window_s": 3,
    "panic_window_s": 1,
    "scale_up_delay_s": 0,
    "scale_down_delay_s": 3,
    "scale_to_zero_after_s": 2,
}


def gateway_process(agent: str, prefix: str, name: str = "gateway-autoscale") -> ServiceProcess:
    """``python -m gateway`` with the process runtime and quick autoscaler loops; ``.url``."""
    return replica_gateway(
        agent,
        token=TOKEN,
        stack="autoscaletest",
        name=name,
        GATEWAY_KV_PREFIX=prefix,
        GATEWAY_BALANCER="least_in_flight",
        REPLICA_MAX_PER_MODEL="4",
        REPLICA_LAUNCH_TIMEOUT="90",
        AUTOSCALER_TICK="0.5",
        AUTOSCALER_SAMPLE_INTERVAL="0.1",
        AUTOSCALER_PUBLISH_INTERVAL="0.5",
        AUTOSCALER_DRAIN_TIMEOUT="10",
        AUTOSCALER_HOLD_TIMEOUT="90",
    )


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    with dev_agent() as agent, gateway_process(agent, f"cgtest-{uuid.uuid4().hex[:8]}/") as proc:
        yield proc.url  # type: ignore[attr-defined]
        print(f"gateway log: {proc.log.name}")  # noqa: T201  (kept for a failing test)


def _status(gateway: str, model: str) -> dict[str, Any]:
    resp = httpx.get(f"{gateway}/api/models/{model}/autoscaling", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["status"] or {}


def _replicas(gateway: str, model: str) -> int:
    return int(_status(gateway, model).get("replicas", -1))


def test_policy_validation_and_token(gateway: str) -> None:
    url = f"{gateway}/api/models/LinearRegression/autoscaling"
    assert httpx.put(url, json={}, timeout=10).status_code == 401
    bad = httpx.put(url, json={"min_replicas": 3, "max_replicas": 2}, headers=AUTH, timeout=10)
    assert bad.status_code == 422 and "max_replicas" in bad.text
    neg = httpx.put(url, json={"scale_down_delay_s": -1}, headers=AUTH, timeout=10)
    assert neg.status_code == 422 and "scale_down_delay_s" in neg.text
    unknown = httpx.put(f"{gateway}/api/models/Nope/autoscaling", json={}, headers=AUTH, timeout=10)
    assert unknown.status_code == 404 and "model_name" in unknown.json()["detail"]
    none = httpx.get(url, timeout=10)
    assert none.status_code == 404 and "no autoscaling policy" in none.json()["detail"]
    assert httpx.delete(url, headers=AUTH, timeout=10).status_code == 404


def _load(gateway: str, model: str, clients: int, stop: Callable[[], bool]) -> tuple[int, int, list[str]]:
    """``clients`` closed-loop prediction clients until ``stop()``: (ok, failed, failures)."""
    ok = failed = 0
    failures: list[str] = []
    lock = threading.Lock()
    body = {**GDP_EXAMPLE, "model": model}

    def client() -> None:
        nonlocal ok, failed
        with httpx.Client(timeout=30) as http:
            while not stop():
                try:
                    resp = http.post(f"{gateway}/api/predict/gdp_growth_rate", json=body)
                    good, why = resp.status_code == 200, f"{resp.status_code} {resp.text[:200]}"
                except httpx.HTTPError as exc:
                    good, why = False, repr(exc)
                with lock:
                    if good:
                        ok += 1
                    else:
                        failed += 1
                        failures.append(why)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok, failed, failures[:5]


def test_scales_up_under_load_without_failures_then_back_to_min(gateway: str) -> None:
    model = "RandomForest"
    url = f"{gateway}/api/models/{model}/autoscaling"
    put = httpx.put(url, json={"min_replicas": 1, "max_replicas": 4, **FAST}, headers=AUTH, timeout=10)
    assert put.status_code == 200, put.text
    assert put.json()["policy"]["max_replicas"] == 4 and put.json()["runtime"] == "process"
    wait_until(lambda: _replicas(gateway, model) == 1, timeout=90, interval=0.5, what="min 1 launched")

    # 12 clients for 20 s, and on until 3 replicas serve (at most 120 s): launching a
    # scikit-learn replica process takes seconds on an idle machine, 15-20 s on a loaded one.

    peak = 0
    started = time.monotonic()
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, _replicas(gateway, model))
            except (httpx.HTTPError, AssertionError):
                pass
            elapsed = time.monotonic() - started
            if elapsed >= 120 or (elapsed >= 20 and peak >= 3):
                done.set()
            time.sleep(0.5)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        ok, failed, failures = _load(gateway, model, clients=12, stop=done.is_set)
    finally:
        done.set()
        watcher.join()
    print(f"load: {ok} ok, {failed} failed, {time.monotonic() - started:.0f}s, peak {peak}")  # noqa: T201
    assert failed == 0, failures
    assert ok > 0 and peak >= 3, (peak, _status(gateway, model))

    # Load stopped: one step at a time (drain, then remove) back to min_replicas.
    wait_until(lambda: _replicas(gateway, model) == 1, timeout=60, interval=0.5, what="back to 1")
    status = _status(gateway, model)
    assert status["last_decision"]["direction"] == "down" and status["launch_failures"]["consecutive"] == 0
    instances = httpx.get(f"{gateway}/api/models/instances/{model}", timeout=10).json()["instances"]
    assert len(instances) == 1
    metrics = httpx.get(f"{gateway}/metrics", timeout=10).text
    assert f'gateway_autoscaler_desired_replicas{{model="{model}"}} 1.0' in metrics
    assert f'gateway_autoscaler_decisions_total{{direction="up",model="{model}"' in metrics
    assert f'gateway_autoscaler_decisions_total{{direction="down",model="{model}",reason="load"}}' in metrics
    assert httpx.delete(url, headers=AUTH, timeout=10).status_code == 200
    assert httpx.get(url, timeout=10).status_code == 404


def test_scale_from_zero_serves_the_first_request_then_back_to_zero(gateway: str) -> None:
    model = "LinearRegression"
    url = f"{gateway}/api/models/{model}/autoscaling"
    put = httpx.put(url, json={"min_replicas": 0, "max_replicas": 2, **FAST}, headers=AUTH, timeout=10)
    assert put.status_code == 200, put.text
    time.sleep(1.5)
    assert _replicas(gateway, model) == 0  # nothing launched without a request
    started = time.monotonic()
    resp = httpx.post(
        f"{gateway}/api/predict/gdp_growth_rate", json={**GDP_EXAMPLE, "model": model}, timeout=120
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["model"] == model
    assert _status(gateway, model)["last_decision"]["reason"] == "from_zero"
    print(f"scale from zero: first request served after {time.monotonic() - started:.1f}s")  # noqa: T201
    # Idle: after the stable window and scale_to_zero_after_s the replica is drained and removed.
    wait_until(lambda: _replicas(gateway, model) == 0, timeout=60, interval=0.5, what="back to zero")
    assert _status(gateway, model)["last_decision"]["reason"] == "to_zero"
    assert httpx.delete(url, headers=AUTH, timeout=10).status_code == 200
