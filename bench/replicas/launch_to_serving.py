"""Launch-to-serving time of a Docker replica: from the REST call to the first prediction the
new replica serves through the gateway. Median of 5; target <= 5 s.

Reference measured in the same run: a bare ``docker run`` of the same image until its
/health answers on the container IP (no Consul, no gateway), so the ratio shows what
registration, health checking and the gateway's table add.

Needs the engine and the images (make docker-setup). Everything it creates carries the
labels of a ``cgbench-*`` stack and is removed at the end.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import docker
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from docker_stack import AUTH, MODEL_IMAGE, container_ip, docker_stack  # noqa: E402

from servicekit.contracts import GDP_EXAMPLE
from tests.support.processes import wait_http  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET_S = 5.0
FEATURES = dict(GDP_EXAMPLE)
MODEL = "RandomForest"


def bare_start(client: docker.DockerClient, network: str, labels: dict[str, str]) -> float:
    """Seconds from `docker run` to /health answering (no registration)."""
    t0 = time.perf_counter()
    c = client.containers.run(
        MODEL_IMAGE,
        detach=True,
        network=network,
        labels=labels,
        environment={"SERVICE_REGISTER": "false", "GDP_MODEL_NAME": MODEL},
    )
    try:
        wait_http(f"http://{container_ip(c, network)}:8101/health", timeout=60)
        return time.perf_counter() - t0
    finally:
        c.remove(force=True)


def launch_to_serving(gateway: str) -> tuple[float, float]:
    """(REST answer seconds, first-served seconds) for one launch; removes the replica after."""
    with httpx.Client(timeout=90) as http:
        t0 = time.perf_counter()
        resp = http.post(f"{gateway}/api/models/launch/{MODEL}", headers=AUTH)
        answered = time.perf_counter() - t0
        resp.raise_for_status()
        cid = resp.json()["container_id"]
        try:
            for _ in range(600):  # bounded: 600 x ~10 ms
                pred = http.post(f"{gateway}/api/predict/gdp_growth_rate", json=FEATURES)
                if pred.status_code == 200 and pred.json()["model"] == MODEL:
                    return answered, time.perf_counter() - t0
                time.sleep(0.01)
            raise RuntimeError("the new replica never served a request")
        finally:
            http.delete(f"{gateway}/api/models/instances/{cid}", headers=AUTH).raise_for_status()


def main() -> int:
    client = docker.from_env(timeout=60)
    with docker_stack(client) as stack, stack.gateway() as gateway_process:
        gateway: str = gateway_process.url  # type: ignore[attr-defined]
        bare_start(client, stack.network, stack.labels)  # warm the page cache once, not measured
        reference = [bare_start(client, stack.network, stack.labels) for _ in range(RUNS)]
        answered, served = [], []
        for _ in range(RUNS):
            a, s = launch_to_serving(gateway)
            answered.append(a)
            served.append(s)
    med_ref, med_ans, med_srv = (statistics.median(x) for x in (reference, answered, served))
    print(f"runs: {RUNS} (model {MODEL}, image {MODEL_IMAGE})")
    for label, med, xs in (
        ("reference  docker run -> /health answers     ", med_ref, reference),
        ("launch     REST call -> 200 (passing+routed) ", med_ans, answered),
        ("serving    REST call -> first request served ", med_srv, served),
    ):
        print(f"{label} median {med:6.2f} s  {[round(x, 2) for x in xs]}")
    print(
        f"ratio serving/reference: {med_srv / med_ref:.2f}x; target <= {TARGET_S:.0f} s: "
        f"{'met, PASS' if med_srv <= TARGET_S else 'MISSED, MISS'}"
    )
    out = Path(__file__).resolve().parents[1] / "results"
    out.mkdir(exist_ok=True)
    (out / "replicas.json").write_text(
        json.dumps(
            {
                "reference_s": reference,
                "answered_s": answered,
                "served_s": served,
                "median_served_s": med_srv,
                "target_s": TARGET_S,
            },
            indent=2,
        )
    )
    return 0 if med_srv <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
