"""Benchmark the routing view: 1,000 declared prefix routes over 10,000 instances.

Builds the services as discovery hands them over (1,000 services x 10 instances, each service
declaring one ``urlprefix-`` route at depth 1-4, a fifth with a host, a tenth with a traffic
policy and versions), then measures in this process:

* lookup per request: ``declared_route(core, scope)`` (the function the proxy calls for every
  non-/svc request: own-route check, Host, longest prefix) plus the service's rules lookup,
  over a mix of request paths (hits at every depth, deeper paths, misses); reference in the
  same run: one plain ``dict.get`` of the path. Target <= 2 us per lookup.
* rebuild on one change: ``RouteTableBuilder.build`` after one service's instances changed
  (what a table swap costs the discovery task); reference in the same run: a cold build of
  everything. Target <= 50 ms.

Times are this process's CPU time (``time.process_time``), so other jobs on a shared machine
count only through caches. Prints each figure as the median of the runs with min-max, the ratio to the
reference and PASS/MISS. Usage: ``uv run python bench/routing/route_table_bench.py``.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time
from collections.abc import Callable
from types import MappingProxyType, SimpleNamespace
from typing import Any

from gateway.discovery import Instance
from gateway.proxy import declared_route
from gateway.routing import RouteTableBuilder

LOOKUP_TARGET_US = 2.0
REBUILD_TARGET_MS = 50.0
RESERVED = frozenset({"api", "svc", "docs", "health", "ready", "metrics", "v1", "dashboard", "process"})


def _prefix(s: int) -> str:
    """Unique per service, depth 1-4: /app7, /team8/app8, /team9/app9/v1, /team10/app10/v1/x."""
    depth = 1 + s % 4
    return f"/app{s}" if depth == 1 else "/" + "/".join([f"team{s % 50}", f"app{s}", "v1", "x"][:depth])


def make_services(n_services: int, per_service: int) -> dict[str, tuple[Instance, ...]]:
    rng = random.Random(1)
    services: dict[str, tuple[Instance, ...]] = {}
    for s in range(n_services):
        name = f"svc-{s:04d}"
        depth = 1 + s % 4
        path = _prefix(s)
        host = f"host{s % 20}.example.com" if s % 5 == 0 else ""
        tags = [f"urlprefix-{host}{path} strip=/team{s % 50}"] if depth > 1 else [f"urlprefix-{host}{path}"]
        meta: dict[str, str] = {}
        if s % 10 == 0:
            meta = {"gateway-rate": "100", "gateway-max-in-flight": "50", "gateway-split": "v1:90,v2:10"}
        insts = []
        for i in range(per_service):
            version = "v1" if i % 5 else "v2"
            insts.append(
                Instance(
                    name,
                    f"{name}-{i}",
                    f"10.{s // 250}.{s % 250}.{i}",
                    8000 + rng.randrange(1000),
                    tags=(*tags, f"version:{version}", "lb=round_robin"),
                    meta=MappingProxyType(meta),
                    weights=MappingProxyType({"Passing": 1, "Warning": 1}),
                )
            )
        services[name] = tuple(insts)
    return services


def request_paths(n_services: int) -> list[tuple[str, str]]:
    rng = random.Random(2)
    out: list[tuple[str, str]] = []
    for _ in range(2000):
        s = rng.randrange(n_services)
        kind = rng.random()
        if kind < 0.6:  # a hit, a bit deeper than the prefix
            path = _prefix(s) + "/items/42"
        elif kind < 0.8:  # a miss under a known first segment
            path = f"/team{s % 50}/unknown/path/{s}"
        elif kind < 0.9:  # a deep path
            path = "/" + "/".join(f"seg{i}" for i in range(20))
        else:  # the gateway's own route (never matched)
            path = "/api/routes"
        host = f"host{s % 20}.example.com:8000" if rng.random() < 0.3 else "gateway.local"
        out.append((path, host))
    return out


def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    """CPU time of this process per call: other jobs on a shared machine do not count."""
    start = time.process_time_ns()
    fn()
    return (time.process_time_ns() - start) / calls / 1000


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=10, help="per service")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    services = make_services(args.services, args.instances)
    builder = RouteTableBuilder(RESERVED)
    cold_ms = []
    for _ in range(args.repeats):
        start = time.process_time_ns()
        table = RouteTableBuilder(RESERVED).build(services)
        cold_ms.append((time.process_time_ns() - start) / 1e6)
    table = builder.build(services)
    n_routes, n_instances = len(table.prefixes), sum(len(v) for v in services.values())
    assert not table.errors, table.errors[:3]

    core = SimpleNamespace(routes=table)
    scopes = [
        {"type": "http", "path": p, "raw_path": p.encode(), "headers": [(b"host", h.encode())]}
        for p, h in request_paths(args.services)
    ]
    plain = {s["path"]: 1 for s in scopes[::2]}
    rules = table.rules

    def lookups() -> None:
        for scope in scopes:
            route = declared_route(core, scope)  # type: ignore[arg-type]
            if route is not None:
                rules.get(route.service)

    def dict_gets() -> None:
        get = plain.get
        for scope in scopes:
            get(scope["path"])

    hits = sum(declared_route(core, s) is not None for s in scopes)  # type: ignore[arg-type]
    lookup_us, ref_us = [], []
    for _ in range(args.repeats):
        for _ in range(3):
            lookup_us.append(per_call_us(lookups, len(scopes)))
            ref_us.append(per_call_us(dict_gets, len(scopes)))

    rebuild_ms = []
    names = sorted(services)
    for r in range(args.repeats * 3):
        name = names[(r * 37) % len(names)]
        changed = dict(services)
        old = services[name]
        changed[name] = (*old[:-1], Instance(name, f"{name}-new{r}", "10.99.0.1", 9999, tags=old[0].tags))
        start = time.process_time_ns()
        builder.build(changed)
        rebuild_ms.append((time.process_time_ns() - start) / 1e6)
        services = changed

    def show(label: str, values: list[float], unit: str, ref: list[float], target: float) -> None:
        med, ref_med = statistics.median(values), statistics.median(ref)
        verdict = "PASS" if med <= target else "MISS"
        print(
            f"{label:<34} {med:9.3f} {unit} (min {min(values):.3f}, max {max(values):.3f}); "
            f"reference {ref_med:.3f} {unit}; ratio {med / ref_med:6.2f}; "
            f"target <= {target:g} {unit}: {verdict}"
        )

    print(f"{n_routes} declared routes, {len(table.rules)} services with rules, {n_instances} instances")
    print(f"{hits}/{len(scopes)} request paths matched a declared route")
    show("lookup per request (route+rules)", lookup_us, "us", ref_us, LOOKUP_TARGET_US)
    show("rebuild after one change", rebuild_ms, "ms", cold_ms, REBUILD_TARGET_MS)
    print("reference: lookup = one dict.get of the path; rebuild = a cold build of every service")


if __name__ == "__main__":
    main()
