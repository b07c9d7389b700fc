"""Two gateway instances on one Consul (dev agent): the load seen by one that does not lead
is published and summed by the leader, which alone launches and removes replicas."""

from __future__ import annotations

import threading
import time
import uuid

import httpx

from tests.support.processes import dev_agent, wait_until

from .test_autoscaler_process import AUTH, FAST, _load, _replicas, gateway_process

MODEL = "RandomForest"


def _leads(url: str) -> bool:
    return bool(httpx.get(f"{url}/api/cluster", timeout=5).json()["leadership"]["is_leader"])


def test_load_on_a_follower_makes_the_leader_scale() -> None:
    prefix = f"cgtest-{uuid.uuid4().hex[:8]}/"
    with dev_agent() as agent, gateway_process(agent, prefix, "gateway-leader") as leader:
        a: str = leader.url  # type: ignore[attr-defined]
        wait_until(lambda: _leads(a), timeout=30, what="first gateway leads")
        with gateway_process(agent, prefix, "gateway-follower") as follower:
            b: str = follower.url  # type: ignore[attr-defined]
            assert not _leads(b)
            policy = {"min_replicas": 1, "max_replicas": 3, **FAST}
            put = httpx.put(f"{b}/api/models/{MODEL}/autoscaling", json=policy, headers=AUTH, timeout=10)
            assert put.status_code == 200, put.text
            assert put.json()["this_instance_leads"] is False
            # Through the follower: the leader's view, read from KV.
            wait_until(lambda: _replicas(b, MODEL) == 1, timeout=90, interval=0.5, what="min 1 launched")

            started = time.monotonic()
            done = threading.Event()
            seen: dict[str, int] = {"peak": 0, "gateways": 0}

            def watch() -> None:
                while not done.is_set():
                    try:
                        status = httpx.get(f"{b}/api/models/{MODEL}/autoscaling", timeout=5).json()["status"]
                        seen["peak"] = max(seen["peak"], int(status["replicas"]))
                        seen["gateways"] = max(seen["gateways"], int(status["signal"]["gateway_instances"]))
                    except (httpx.HTTPError, KeyError, TypeError, ValueError):
                        pass
                    elapsed = time.monotonic() - started
                    if elapsed >= 120 or (elapsed >= 15 and seen["peak"] >= 2):
                        done.set()
                    time.sleep(0.5)

            watcher = threading.Thread(target=watch)
            watcher.start()
            try:
                ok, failed, failures = _load(b, MODEL, clients=12, stop=done.is_set)  # follower only
            finally:
                done.set()
                watcher.join()
            assert failed == 0, failures
            assert ok > 0 and seen["peak"] >= 2 and seen["gateways"] == 2, seen
            status = httpx.get(f"{b}/api/models/{MODEL}/autoscaling", timeout=5).json()["status"]
            assert status["leader"].startswith("gateway-127.0.0.1-") and status["leader"] in leader.output()
            assert "autoscaler RandomForest: scale up" in leader.output()
            assert "scale up" not in follower.output()  # only the leader acts
            wait_until(lambda: _replicas(b, MODEL) == 1, timeout=60, interval=0.5, what="back to 1")
