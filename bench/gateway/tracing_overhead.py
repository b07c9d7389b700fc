"""What W3C trace propagation costs the gateway (no exporter): CPU per proxied request with and
without a ``traceparent`` on the request, side by side against the same gateway and backends.

Same rig as bench/gateway/run.py (wrk -t2 -c32 POST JSON through ``/svc/``, nginx backends,
the gateway pinned to its own core). Each round measures both variants back to back, in
alternating order (plain first in even rounds, traced first in odd ones), so drift and order
effects hit both alike; the verdict is on the median of the rounds' paired differences (a
5 % target is smaller than the spread of single runs on these machines). The target:
propagation adds at most 5 % CPU per request.

    uv run python bench/gateway/tracing_overhead.py [--duration 3] [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as rig  # noqa: E402  (the gateway benchmark's helpers: processes, wrk, pinning)

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TARGET_PCT = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    rig.ensure_tools()
    rig.pin_cpus(not args.no_pin)
    tmp = Path(tempfile.mkdtemp(prefix="bench-tracing-"))
    plain = tmp / "post.lua"
    plain.write_text(rig.LUA_POST)
    traced = tmp / "traced.lua"
    traced.write_text(rig.LUA_POST + f'wrk.headers["traceparent"] = "{TRACEPARENT}"\n')
    backends = [rig.free_port(), rig.free_port()]
    (tmp / "nginx.conf").write_text(
        rig.NGINX_CONF.format(tmp=tmp, servers="".join(rig.NGINX_SERVER.format(port=p) for p in backends))
    )
    gw_port, consul_port = rig.free_port(), rig.free_port()
    consul = f"http://127.0.0.1:{consul_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}  # no exporter
    with ExitStack() as stack:
        stack.enter_context(
            rig.process(
                [*rig.PIN["client"], rig.tool("nginx"), "-c", str(tmp / "nginx.conf"), "-p", str(tmp)],
                name="nginx",
            )
        )
        stack.enter_context(
            rig.process(
                [*rig.PIN["client"], rig.PY, "-m", "devagent", "--port", str(consul_port)], name="devagent"
            )
        )
        rig.wait_http(f"{consul}/v1/status/leader")
        for i, p in enumerate(backends):
            rig.wait_http(f"http://127.0.0.1:{p}/")
            rig.register(consul, f"bench-backend-{i}", p)
        gw_env = {
            **env,
            "SERVICE_PORT": str(gw_port),
            "SERVICE_HOST": "127.0.0.1",
            "CONSUL_HTTP_ADDR": consul,
            "LOG_LEVEL": "warning",
        }
        gwp = stack.enter_context(
            rig.process([*rig.PIN["proxy"], rig.PY, "-m", "gateway"], env=gw_env, name="gateway")
        )
        gw = f"http://127.0.0.1:{gw_port}/svc/bench-backend/x"
        rig.wait_http(f"http://127.0.0.1:{gw_port}/ready", status=200)
        rig.wait_http(gw, timeout=15, status=200)
        rig.wrk(gw, 1.0, plain)  # warm-up
        cpu: dict[str, list[float]] = {"plain": [], "traced": []}
        for round_no in range(args.rounds):
            order = (("plain", plain), ("traced", traced))
            for name, lua in order if round_no % 2 == 0 else order[::-1]:
                before = rig.cpu_seconds(gwp.pid)
                r = rig.wrk(gw, args.duration, lua)
                used = rig.cpu_seconds(gwp.pid) - before
                us = 1e6 * used / max(1.0, r["rps"] * args.duration)
                cpu[name].append(us)
                print(
                    f"{name:7s} {r['rps']:9.0f} rps  cpu {us:6.1f} us/req  errors {int(r['errors'])}",
                    flush=True,
                )
    diffs = [t - p for p, t in zip(cpu["plain"], cpu["traced"], strict=True)]
    pcts = [100 * (t - p) / p for p, t in zip(cpu["plain"], cpu["traced"], strict=True)]
    added, pct = statistics.median(diffs), statistics.median(pcts)
    verdict = "PASS" if pct <= TARGET_PCT else "MISS"
    print(
        f"trace propagation: +{added:.1f} us/req ({pct:+.1f} %) median of {args.rounds} paired rounds "
        f"(rounds {min(pcts):+.1f} to {max(pcts):+.1f} %); "
        f"plain {min(cpu['plain']):.1f}-{max(cpu['plain']):.1f}, "
        f"traced {min(cpu['traced']):.1f}-{max(cpu['traced']):.1f} us/req; "
        f"target <= +{TARGET_PCT:g} %: {verdict}"
    )


if __name__ == "__main__":
    main()
