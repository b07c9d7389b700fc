"""gatewayctl against a live stack: a dev agent, the gateway with the process runtime, and real
model replicas; the CLI runs as a subprocess so exit codes and output are what a script sees."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.model_service import model_service_process
from tests.support.processes import (
    dev_agent,
    free_port,
    replica_gateway,
    wait_until,
)

TOKEN = "ctl-test-token"


@pytest.fixture(scope="module")
def agent() -> Iterator[str]:
    with dev_agent() as url:
        yield url


@pytest.fixture(scope="module")
def gateway(agent: str) -> Iterator[str]:
    with replica_gateway(
        agent, token=TOKEN, stack="ctltest", name="gateway-ctl", REPLICA_MAX_PER_MODEL="2"
    ) as proc:
        yield proc.url  # type: ignore[attr-defined]


def ctl(url: str, *args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    if token:
        env["GATEWAY_MANAGEMENT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "gatewayctl", "--url", url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def test_status_and_routes(gateway: str) -> None:
    status = ctl(gateway, "--json", "status")
    assert status.returncode == 0, status.stderr
    body = json.loads(status.stdout)
    assert body["status"] in ("ok", "degraded") and "table_index" in body
    routes = ctl(gateway, "routes")
    assert routes.returncode == 0 and "routes" in routes.stdout


def test_scale_instances_rm(gateway: str) -> None:
    without_token = ctl(gateway, "launch", "LinearRegression", token=None)
    assert without_token.returncode == 4
    assert without_token.stderr.count("\n") == 1 and "GATEWAY_MANAGEMENT_TOKEN" in without_token.stderr
    scale_without_token = ctl(gateway, "scale", "LinearRegression", "1", token=None)
    assert scale_without_token.returncode == 4
    assert scale_without_token.stderr.count("\n") == 1 and "scaling" not in scale_without_token.stderr

    scaled = ctl(gateway, "scale", "LinearRegression", "1")
    assert scaled.returncode == 0, scaled.stderr
    listed = ctl(gateway, "--json", "instances", "LinearRegression")
    [inst] = json.loads(listed.stdout)["instances"]
    assert inst["health"] == "passing"

    removed = ctl(gateway, "rm", inst["id"])
    assert removed.returncode == 0, removed.stderr
    assert json.loads(ctl(gateway, "--json", "instances", "LinearRegression").stdout)["instances"] == []


def test_errors_have_exit_codes(gateway: str) -> None:
    unknown = ctl(gateway, "instances", "NoSuchModel")
    assert unknown.returncode == 5 and unknown.stderr.startswith("gatewayctl: 404")
    unreachable = ctl(f"http://127.0.0.1:{free_port()}", "status")
    assert unreachable.returncode == 3 and "cannot reach the gateway" in unreachable.stderr
    usage = ctl(gateway, "scale", "LinearRegression", "many")
    assert usage.returncode == 2


def test_flows_put_list_run_rm(gateway: str, tmp_path: Path) -> None:
    flow = tmp_path / "ctl.yaml"
    # A one-node flow against the gateway's own liveness route would be refused (SSRF rules);
    # a service by name is what flows normally use: the node fails (no such service) but the
    # flow's lifecycle is what this test checks.
    flow.write_text(
        "name: ctlflow\nendpoint: /ctlflow\nnodes:\n  echo:\n    service: echo-service\n    endpoint: /echo\n"
    )
    put = ctl(gateway, "flows", "put", str(flow))
    assert put.returncode == 0, put.stderr
    assert "ctlflow created" in put.stdout
    listed = ctl(gateway, "--json", "flows", "list")
    assert "ctlflow" in {f["name"] for f in json.loads(listed.stdout)["flows"]}
    run = ctl(gateway, "flows", "run", "ctlflow", '{"message": "hi"}')
    assert run.returncode == 1 and run.stderr.startswith("gatewayctl: 50")  # no echo-service instance
    bad = ctl(gateway, "flows", "run", "ctlflow", "{not json")
    assert bad.returncode == 2 and "JSON argument" in bad.stderr
    removed = ctl(gateway, "flows", "rm", "ctlflow")
    assert removed.returncode == 0, removed.stderr
    assert ctl(gateway, "flows", "get", "ctlflow").returncode == 5


def test_replicas_started_elsewhere_are_listed_not_managed(agent: str, gateway: str) -> None:
    with model_service_process(agent, "RandomForest") as outside:

        def listed() -> list[dict[str, object]]:
            return json.loads(ctl(gateway, "--json", "instances", "RandomForest").stdout)["instances"]

        wait_until(lambda: len(listed()) == 1, 20, what="the outside replica listed")
        [inst] = listed()
        assert inst["managed"] is False and inst["address"] == f"127.0.0.1:{outside.port}"
        assert inst["health"] == "passing"
        # the gateway never removes what it did not launch
        assert ctl(gateway, "rm", str(inst["id"])).returncode == 5


def test_autoscale_set_get_off(gateway: str) -> None:
    bad = ctl(gateway, "autoscale", "set", "LinearRegression", "--min", "3", "--max", "2")
    assert bad.returncode == 1 and "422" in bad.stderr
    put = ctl(
        gateway, "--json", "autoscale", "set", "LinearRegression", "--min", "0", "--max", "2", "--target", "4"
    )
    assert put.returncode == 0, put.stderr
    got = json.loads(ctl(gateway, "--json", "autoscale", "get", "LinearRegression").stdout)
    assert got["policy"]["max_replicas"] == 2 and got["policy"]["target_in_flight"] == 4
    assert ctl(gateway, "autoscale", "off", "LinearRegression").returncode == 0
    assert ctl(gateway, "autoscale", "get", "LinearRegression").returncode == 5
