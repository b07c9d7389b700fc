"""Scale a model from 1 to 5 replicas over REST: time until all 5 serve (the PUT answers only
once every new replica is passing in Consul and in the gateway's routing table).

Two rows in the same run: the Docker runtime (a gateway on the host, containers on a bridge
network; the reference) and the Swarm runtime (the whole stack deployed with
scripts/swarm/deploy.sh, the gateway in the stack scaling the model's service). Median of
``BENCH_RUNS`` (default 2) rounds of 1 -> 5 -> 1. Target: Swarm <= 2x Docker.

The engine becomes a single-node swarm if it is not one, and leaves it at the end only if this
benchmark initialised it. Everything it creates is labelled ``cgbench-*`` and removed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from docker_stack import AUTH, MODEL_IMAGE, TOKEN, docker_stack  # noqa: E402

from tests.support.processes import free_port  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "2"))
TARGET_RATIO = 2.0
MODEL = "LinearRegression"
DEPLOY = str(ROOT / "scripts" / "swarm" / "deploy.sh")
# Four replicas start at once on a shared 2-core machine: give both runtimes the same room.
LAUNCH_TIMEOUT = os.environ.get("REPLICA_LAUNCH_TIMEOUT", "180")


def scale(gateway: str, replicas: int) -> float:
    t0 = time.perf_counter()
    resp = httpx.put(
        f"{gateway}/api/models/{MODEL}/replicas", json={"replicas": replicas}, headers=AUTH, timeout=300
    )
    resp.raise_for_status()
    passing = [i for i in resp.json()["instances"] if i["health"] == "passing"]
    if replicas and len(passing) < replicas:
        raise RuntimeError(f"only {len(passing)} of {replicas} passing after the PUT: {resp.text[:300]}")
    return time.perf_counter() - t0


def rounds(gateway: str) -> list[float]:
    scale(gateway, 1)
    out = []
    for _ in range(RUNS):
        out.append(scale(gateway, 5))
        scale(gateway, 1)
    return out


def docker_row(client: docker.DockerClient) -> list[float]:
    with (
        docker_stack(client) as stack,
        stack.gateway(REPLICA_LAUNCH_TIMEOUT=LAUNCH_TIMEOUT) as gateway_process,
    ):
        gateway: str = gateway_process.url  # type: ignore[attr-defined]
        try:
            return rounds(gateway)
        finally:
            scale(gateway, 0)


def swarm_row() -> list[float]:
    stack = f"cgbench-swarm-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ)
    env.update(
        STACK_NAME=stack,
        CONSUL_PORT=str(free_port()),
        GATEWAY_MANAGEMENT_TOKEN=TOKEN,
        DOCKER_SOCKET_GID=str(os.stat("/var/run/docker.sock").st_gid),
        SWARM_EXTRA_MODEL_REPLICAS="0",
        SWARM_WAIT_SECONDS="300",
        REPLICA_LAUNCH_TIMEOUT=LAUNCH_TIMEOUT,
    )

    def deploy(*args: str) -> str:
        done = subprocess.run([DEPLOY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
        if done.returncode != 0:
            raise RuntimeError(f"deploy.sh {args[0]} failed: {done.stderr[-800:]}")
        return done.stdout

    try:
        deploy("up", stack, "-f", "compose.yaml", "-f", "compose.dev.yaml", "-f", "compose.swarm.yaml")
        gateway = f"http://127.0.0.1:{deploy('ports', stack).split()[0]}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the gateway reaches its Docker proxy
            try:
                if httpx.get(f"{gateway}/api/models/instances/{MODEL}", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        return rounds(gateway)
    finally:
        deploy("down", stack)


def main() -> int:
    client = docker.from_env(timeout=60)
    initialised = False
    if client.info().get("Swarm", {}).get("LocalNodeState") == "inactive":
        client.swarm.init()
        initialised = True
    try:
        ref = docker_row(client)
        print(f"docker runtime 1 -> 5: {[round(x, 2) for x in ref]} s", flush=True)
        swarm = swarm_row()
    finally:
        if initialised and not client.services.list():
            client.swarm.leave(force=True)
    med_ref, med_swarm = statistics.median(ref), statistics.median(swarm)
    ratio = med_swarm / med_ref
    print(f"scale {MODEL} 1 -> 5 over REST, time until all 5 serve; runs: {RUNS}, image {MODEL_IMAGE}")
    print(f"docker runtime (reference)  median {med_ref:6.2f} s  {[round(x, 2) for x in ref]}")
    print(f"swarm runtime               median {med_swarm:6.2f} s  {[round(x, 2) for x in swarm]}")
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"ratio swarm/docker: {ratio:.2f}x; target <= {TARGET_RATIO:.1f}x: {verdict}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "replicas_scale.json").write_text(
        json.dumps(
            {"docker_s": ref, "swarm_s": swarm, "ratio": ratio, "target_ratio": TARGET_RATIO}, indent=2
        )
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
