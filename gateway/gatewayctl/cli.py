"""``gatewayctl``: operate a gateway from a terminal or a script.

Every command prints a table (or ``--json``: the gateway's answer as JSON), errors are one
line on stderr, and the exit code says what happened (``client.EXIT``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .client import EXIT, CtlError, GatewayClient

__all__ = ["app", "main"]

app = typer.Typer(
    help="Operate a consul-gateway: status, routes, model replicas, autoscaling, flows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
autoscale_app = typer.Typer(help="Autoscaling policy of a model.", no_args_is_help=True)
flows_app = typer.Typer(help="Orchestrated flows.", no_args_is_help=True)
app.add_typer(autoscale_app, name="autoscale")
app.add_typer(flows_app, name="flows")

out = Console()
err = Console(stderr=True)


class _Options:
    url: str = "http://localhost:8000"
    token: str | None = None
    as_json: bool = False
    timeout: float = 30.0


opts = _Options()


@app.callback()
def _global(
    url: Annotated[str, typer.Option(envvar="GATEWAY_URL", help="the gateway's base URL")] = opts.url,
    token: Annotated[
        str | None,
        typer.Option(envvar="GATEWAY_MANAGEMENT_TOKEN", help="management token", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the gateway's answer as JSON")] = False,
    timeout: Annotated[float, typer.Option(help="seconds per request")] = 30.0,
) -> None:
    opts.url, opts.token, opts.as_json, opts.timeout = url, token, as_json, timeout


@contextmanager
def _client() -> Iterator[GatewayClient]:
    client = GatewayClient(opts.url, opts.token, timeout=opts.timeout)
    try:
        yield client
    finally:
        client.close()


def _emit(data: Any, render: Any = None) -> None:
    if opts.as_json or render is None:
        out.print_json(json.dumps(data))
    else:
        render(data)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


# --- status and routes -------------------------------------------------------------------


@app.command()
def status() -> None:
    """Readiness, routing-table age and the gateway instances (leader marked)."""
    with _client() as c:
        ready = c.request("GET", "/ready")
        routes = c.request("GET", "/api/routes")
        cluster = c.request("GET", "/api/cluster", allow_404=True)
    data = {
        "status": ready.get("status") if isinstance(ready, dict) else ready,
        "ready": ready,
        "services": len(routes.get("services", [])),
        "instances": sum(len(s.get("instances", [])) for s in routes.get("services", [])),
        "table_index": routes.get("table_index"),
        "table_age_s": routes.get("table_age_s"),
        "cluster": cluster,
    }

    def render(d: dict[str, Any]) -> None:
        out.print(
            f"[bold]{opts.url}[/]  status [bold]{d['status']}[/]  services {d['services']}  "
            f"instances {d['instances']}  table index {d['table_index']}  age {d['table_age_s']} s"
        )
        if d["cluster"]:
            leader = d["cluster"].get("leader")
            rows = [
                [
                    i.get("id"),
                    f"{i.get('address')}:{i.get('port')}",
                    "yes" if i.get("id") == leader else "",
                    i.get("table_index"),
                    i.get("table_age_s"),
                ]
                for i in d["cluster"].get("instances", [])
            ]
            out.print(_table("gateway instances", ["id", "address", "leader", "table index", "age s"], rows))

    _emit(data, render)


@app.command()
def routes() -> None:
    """The routing table: services, instances, balancer, in-flight, ejected."""
    with _client() as c:
        data = c.request("GET", "/api/routes")

    def render(d: dict[str, Any]) -> None:
        rows = []
        for svc in d.get("services", []):
            for inst in svc.get("instances", []) or [{}]:
                rows.append(
                    [
                        svc.get("name"),
                        svc.get("balancer"),
                        inst.get("id"),
                        inst.get("address") and f"{inst.get('address')}:{inst.get('port')}",
                        inst.get("in_flight"),
                        "yes" if inst.get("ejected") else "",
                    ]
                )
        out.print(
            _table("routes", ["service", "balancer", "instance", "address", "in flight", "ejected"], rows)
        )
        for key in ("routes", "errors"):
            if d.get(key):
                out.print(f"[bold]{key}[/]")
                out.print_json(json.dumps(d[key]))

    _emit(data, render)


# --- replicas ------------------------------------------------------------------------------


def _render_instances(d: dict[str, Any]) -> None:
    rows = [
        [i.get("id"), i.get("name"), i.get("status"), i.get("health"), i.get("address"), i.get("managed", "")]
        for i in d.get("instances", [])
    ]
    out.print(
        _table(
            f"replicas of {d.get('model')}", ["id", "name", "status", "health", "address", "managed"], rows
        )
    )


@app.command()
def instances(model: str) -> None:
    """Replicas of MODEL."""
    with _client() as c:
        _emit(c.request("GET", f"/api/models/instances/{model}"), _render_instances)


@app.command()
def launch(model: str) -> None:
    """Launch one replica of MODEL; returns once it is passing and routed."""
    with _client() as c, err.status(f"launching a {model} replica"):
        data = c.request("POST", f"/api/models/launch/{model}", auth=True, timeout=max(opts.timeout, 300))
    _emit(
        data,
        lambda d: out.print(
            f"launched {d.get('container_id')} ({d.get('address')}) in {d.get('launch_seconds')} s"
        ),
    )


@app.command("rm")
def remove(instance_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Stop and remove the replica ID."""
    with _client() as c:
        data = c.request(
            "DELETE", f"/api/models/instances/{instance_id}", auth=True, timeout=max(opts.timeout, 120)
        )
    _emit(data, lambda d: out.print(d.get("message", "removed")))


def _passing(c: GatewayClient, model: str) -> int:
    data = c.request("GET", f"/api/models/instances/{model}")
    # Only the replicas this stack launched count (compose's own are listed with managed: false).
    return sum(
        1 for i in data.get("instances", []) if i.get("health") == "passing" and i.get("managed", True)
    )


@app.command()
def scale(
    model: str,
    replicas: Annotated[int, typer.Argument(min=0, metavar="N")],
    wait: Annotated[float, typer.Option(help="seconds to wait for all N to pass")] = 300.0,
) -> None:
    """Set MODEL's launched replicas to N; shows progress until all are passing."""
    result: dict[str, Any] = {}

    def put() -> None:
        with _client() as pc:
            try:
                result["data"] = pc.request(
                    "PUT",
                    f"/api/models/{model}/replicas",
                    json={"replicas": replicas},
                    auth=True,
                    timeout=wait,
                )
            except CtlError as exc:
                result["error"] = exc

    worker = threading.Thread(target=put, daemon=True)
    deadline = time.monotonic() + wait
    with _client() as c:
        c.require_token()  # no token: one error line, no progress bar first
        c.request("GET", f"/api/models/instances/{model}")  # unknown model: fail before scaling
        worker.start()
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.fields[wanted]} passing"),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=err, transient=opts.as_json, disable=opts.as_json) as progress:
            task = progress.add_task(
                f"scaling {model} to {replicas}", total=replicas or None, wanted=replicas
            )
            while worker.is_alive() and time.monotonic() < deadline:
                progress.update(task, completed=min(_passing(c, model), replicas))
                worker.join(0.5)
            passing = _passing(c, model)
            progress.update(task, completed=min(passing, replicas))
    if "error" in result:
        raise result["error"]
    if worker.is_alive() or passing < replicas:
        raise CtlError(
            f"{passing} of {replicas} {model} replicas passing after {wait:.0f} s", EXIT["incomplete"]
        )
    done = f"{model}: {replicas} replicas, all passing" if replicas else f"{model}: no launched replica left"
    _emit(result.get("data"), lambda d: out.print(done))


# --- autoscaling ---------------------------------------------------------------------------


@autoscale_app.command("get")
def autoscale_get(model: str) -> None:
    """MODEL's autoscaling policy, signal and last decision."""
    with _client() as c:
        _emit(c.request("GET", f"/api/models/{model}/autoscaling"))


@autoscale_app.command("set")
def autoscale_set(
    model: str,
    min_replicas: Annotated[int | None, typer.Option("--min", help="min_replicas")] = None,
    max_replicas: Annotated[int | None, typer.Option("--max", help="max_replicas")] = None,
    target: Annotated[float | None, typer.Option(help="target_in_flight per replica")] = None,
    stable_window: Annotated[float | None, typer.Option(help="stable_window_s")] = None,
    panic_window: Annotated[float | None, typer.Option(help="panic_window_s")] = None,
    panic_threshold: Annotated[float | None, typer.Option(help="panic_threshold")] = None,
    scale_up_delay: Annotated[float | None, typer.Option(help="scale_up_delay_s")] = None,
    scale_down_delay: Annotated[float | None, typer.Option(help="scale_down_delay_s")] = None,
    scale_to_zero_after: Annotated[float | None, typer.Option(help="scale_to_zero_after_s")] = None,
) -> None:
    """Set MODEL's autoscaling policy (fields not given keep the gateway's defaults)."""
    fields = {
        "min_replicas": min_replicas,
        "max_replicas": max_replicas,
        "target_in_flight": target,
        "stable_window_s": stable_window,
        "panic_window_s": panic_window,
        "panic_threshold": panic_threshold,
        "scale_up_delay_s": scale_up_delay,
        "scale_down_delay_s": scale_down_delay,
        "scale_to_zero_after_s": scale_to_zero_after,
    }
    body = {k: v for k, v in fields.items() if v is not None}
    with _client() as c:
        _emit(c.request("PUT", f"/api/models/{model}/autoscaling", json=body, auth=True))


@autoscale_app.command("off")
def autoscale_off(model: str) -> None:
    """Turn MODEL's autoscaling off (its replicas stay)."""
    with _client() as c:
        c.request("DELETE", f"/api/models/{model}/autoscaling", auth=True)
    _emit({"model": model, "autoscaling": "off"}, lambda d: out.print(f"autoscaling of {model} is off"))


# --- flows ---------------------------------------------------------------------------------


@flows_app.command("list")
def flows_list() -> None:
    """The flows this gateway serves."""
    with _client() as c:
        data = c.request("GET", "/api/flows")

    def render(d: dict[str, Any]) -> None:
        rows = [
            [f.get("name"), f.get("endpoint"), ", ".join(f.get("nodes", [])), f.get("description")]
            for f in d.get("flows", [])
        ]
        out.print(_table("flows", ["name", "endpoint", "nodes", "description"], rows))
        if d.get("errors"):
            out.print("[bold red]errors[/]")
            out.print_json(json.dumps(d["errors"]))

    _emit(data, render)


@flows_app.command("get")
def flows_get(name: str) -> None:
    """A flow's graph."""
    with _client() as c:
        _emit(c.request("GET", f"/api/flows/{name}"))


def _load_definition(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise CtlError(f"cannot read {path}: {exc.strerror}", EXIT["usage"]) from exc
    try:
        # YAML 1.2 reads JSON too: one parser for both kinds of flow file.
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CtlError(f"{path}: not valid YAML or JSON: {str(exc).splitlines()[0]}", EXIT["usage"]) from exc
    if not isinstance(data, dict) or not data.get("name"):
        raise CtlError(f"{path}: a flow definition is an object with a name", EXIT["usage"])
    return data


@flows_app.command("put")
def flows_put(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="flow definition, YAML or JSON")],
) -> None:
    """Create or replace the flow defined in FILE."""
    definition = _load_definition(file)
    with _client() as c:
        data = c.request("PUT", f"/api/flows/{definition['name']}", json=definition, auth=True)
    _emit(data, lambda d: out.print(f"flow {d.get('name')} {'replaced' if d.get('replaced') else 'created'}"))


@flows_app.command("rm")
def flows_rm(name: str) -> None:
    """Delete the flow NAME."""
    with _client() as c:
        c.request("DELETE", f"/api/flows/{name}", auth=True)
    _emit({"name": name, "deleted": True}, lambda d: out.print(f"flow {name} deleted"))


@flows_app.command("run")
def flows_run(
    name: str, inputs: Annotated[str, typer.Argument(metavar="JSON", help="the flow's input")]
) -> None:
    """Run the flow NAME on JSON and print its output."""
    try:
        body = json.loads(inputs)
    except ValueError as exc:
        raise CtlError(f"JSON argument: {exc}", EXIT["usage"]) from exc
    with _client() as c:
        data = c.request("POST", f"/api/flows/{name}/run", json=body, timeout=max(opts.timeout, 60))
    _emit(data)


def main() -> None:
    """Entry point: typer handles usage errors (exit 2); our errors are one line on stderr."""
    try:
        app()
    except CtlError as exc:
        err.print(f"gatewayctl: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(exc.code) from None
