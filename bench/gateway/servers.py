"""HTTP server candidates for the gateway, side by side in one run (issue #15).

Same client (wrk -t2 -c32, POST JSON), same nginx backends, every server process alone on the
last core (wrk, nginx and the dev agent on the others), CPU per request from /proc:

- floors (no proxy work, a fixed JSON answer): the server's own cost per request
  - ``uvicorn-floor``: uvicorn + today's gateway protocol (httptools, coalesced writes, head
    limits), minimal ASGI app;
  - ``granian-asgi-floor`` / ``granian-rsgi-floor``: granian (Rust HTTP, 1 worker, 1 runtime
    thread, uvloop), minimal ASGI / RSGI app;
  - ``own-floor``: an own asyncio protocol on httptools, no ASGI (the lower bound for an own
    ``/svc`` protocol before any proxy work);
  - ``own-proxy-floor``: that protocol proxying to the backends with no feature at all (the
    lower bound of a Python proxy on asyncio + httptools here);
- full proxy path, ``POST /svc/bench-backend/x`` with every feature on (access log at
  LOG_LEVEL info, metrics, statistics, retries, ejection, request ids):
  - ``gateway-uvicorn``: ``python -m gateway`` as shipped (plain ``/svc`` requests on the
    direct path, ``proxy/direct.py``, from uvicorn's protocol);
  - ``gateway-general``: the same with ``GATEWAY_DIRECT_PROXY=false`` (the general ASGI path);
  - ``gateway-access-off``: the direct path with ``ACCESS_LOG=false`` (what the access log
    costs; every other feature on);
  - ``gateway-granian``: the same ASGI app under granian;
- ``haproxy``: the reference proxy (one thread).

Rounds are interleaved (each candidate once per round), so load from elsewhere hits all of
them alike; the table shows min-max over rounds and the median CPU per request.

Usage: ``uv run --with granian python bench/gateway/servers.py [--duration 3] [--rounds 3]``
(granian is not a project dependency; without it the granian rows are skipped).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    HAPROXY_CONF,
    LUA_POST,
    NGINX_CONF,
    NGINX_SERVER,
    PIN,
    PY,
    ensure_tools,
    free_port,
    pin_cpus,
    process,
    register,
    tool,
    tree_cpu_seconds,
    wait_http,
    wrk,
)

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ensure_tools()
    pin_cpus(True)
    has_granian = importlib.util.find_spec("granian") is not None
    tmp = Path(tempfile.mkdtemp(prefix="bench-servers-"))
    lua = tmp / "post.lua"
    lua.write_text(LUA_POST)
    backends = [free_port(), free_port()]
    (tmp / "nginx.conf").write_text(
        NGINX_CONF.format(tmp=tmp, servers="".join(NGINX_SERVER.format(port=p) for p in backends))
    )
    consul_port, hp_port = free_port(), free_port()
    consul = f"http://127.0.0.1:{consul_port}"
    (tmp / "haproxy.cfg").write_text(
        HAPROXY_CONF.format(
            port=hp_port, servers="".join(f"  server b{i} 127.0.0.1:{p}\n" for i, p in enumerate(backends))
        )
    )
    floors = ["uvicorn-floor", "own-floor", "own-proxy-floor"] + (
        ["granian-asgi-floor", "granian-rsgi-floor"] if has_granian else []
    )
    own = ["gateway-uvicorn", "gateway-general", "gateway-access-off"]  # python -m gateway
    gateways = own + (["gateway-granian"] if has_granian else [])
    ports = {name: free_port() for name in [*floors, *gateways]}
    urls: dict[str, str] = {}
    pids: dict[str, int] = {}
    with ExitStack() as stack:
        stack.enter_context(
            process(
                [*PIN["client"], tool("nginx"), "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], name="nginx"
            )
        )
        stack.enter_context(
            process([*PIN["client"], PY, "-m", "devagent", "--port", str(consul_port)], name="devagent")
        )
        hap = stack.enter_context(
            process([*PIN["proxy"], tool("haproxy"), "-f", str(tmp / "haproxy.cfg")], name="haproxy")
        )
        pids["haproxy"], urls["haproxy"] = hap.pid, f"http://127.0.0.1:{hp_port}/x"
        wait_http(f"{consul}/v1/status/leader")
        for i, p in enumerate(backends):
            wait_http(f"http://127.0.0.1:{p}/")
            register(consul, f"bench-backend-{i}", p)
        for name in floors:
            proc = stack.enter_context(
                process(
                    [
                        *PIN["proxy"],
                        *(PY, str(HERE / "server_candidates.py"), name, str(ports[name])),
                        *(str(p) for p in backends),  # own-proxy-floor forwards there
                    ],
                    name=name,
                )
            )
            pids[name], urls[name] = proc.pid, f"http://127.0.0.1:{ports[name]}/x"
        for name in gateways:
            env = {
                "SERVICE_PORT": str(ports[name]),
                "SERVICE_HOST": "127.0.0.1",
                "CONSUL_HTTP_ADDR": consul,
                "LOG_LEVEL": os.environ.get("BENCH_GATEWAY_LOG_LEVEL", "info"),  # access log on
                "PYTHONPATH": str(HERE),
                "GATEWAY_DIRECT_PROXY": "false" if name == "gateway-general" else "true",
                "ACCESS_LOG": "false" if name == "gateway-access-off" else "true",
            }
            command = (
                [PY, "-m", "gateway"]
                if name in own
                else [PY, str(HERE / "server_candidates.py"), name, str(ports[name])]
            )
            proc = stack.enter_context(process([*PIN["proxy"], *command], env=env, name=name))
            pids[name], urls[name] = proc.pid, f"http://127.0.0.1:{ports[name]}/svc/bench-backend/x"
        for name, url in urls.items():
            if name.startswith("gateway"):
                base = url.split("/svc/")[0]
                wait_http(f"{base}/ready", status=200, timeout=60)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    if httpx.post(url, content=b"{}", timeout=2).status_code == 200:
                        break
                    time.sleep(0.1)
            else:
                wait_http(url, timeout=60)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, url in urls.items():
                wrk(url, 1.0, lua)  # warm-up
                before = tree_cpu_seconds(pids[name])
                r = wrk(url, args.duration, lua)
                used = tree_cpu_seconds(pids[name]) - before
                if r["errors"]:
                    print(f"  {name}: {int(r['errors'])} errors", flush=True)
                results[name].append((r["rps"], 1e6 * used / max(1.0, r["rps"] * round(args.duration))))
                print(f"  {name:<20} {r['rps']:8.0f} rps  {results[name][-1][1]:6.0f} us CPU/req", flush=True)
    hp_cpu = statistics.median(c for _, c in results["haproxy"])
    print()
    print(f"{args.rounds} interleaved rounds of {args.duration:.0f}s; server alone on the last core")
    print(
        f"{'candidate':<20} {'rps (min-max)':>16} {'CPU us/req median (min-max)':>30} {'vs haproxy CPU':>15}"
    )
    for name, samples in results.items():
        rps = [r for r, _ in samples]
        cpu = [c for _, c in samples]
        med = statistics.median(cpu)
        print(
            f"{name:<20} {min(rps):7.0f}-{max(rps):<8.0f} {med:12.0f} ({min(cpu):.0f}-{max(cpu):.0f}){'':>6}"
            f" {med / hp_cpu:10.1f}x"
        )
    if not has_granian:
        print("(granian not installed: run with `uv run --with granian ...` for its rows)")
    print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
