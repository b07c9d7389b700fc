"""Fuzzing (issue #10): schemathesis against the gateway's, the model service's and the echo
service's OpenAPI on a live stack (dev agent, echo, one model replica, gateway on free
loopback ports). Fails on any 500, on any other 5xx the operation does not document (the gateway's 503 "no
instance serves that model" and upstream 502/504 are documented answers), and on any answer
that breaks its documented schema.

Bounded: ``FUZZ_EXAMPLES`` generated cases per operation (default 8), so the whole run stays
around a minute. ``make fuzz`` runs this file alone; ``make test`` runs it with the rest.
Management routes are fuzzed without the token (they answer 401/403, nothing is launched).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.gateway.helpers import start_gateway, wait_ports
from tests.support.model_service import model_service_process
from tests.support.processes import ServiceProcess, dev_agent, free_port, python_module, wait_http

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@schemathesis.check
def no_undocumented_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """500 never; another 5xx only where the operation documents it (the gateway's 503 for
    "no instance serves that model", 502/504 from upstreams are part of its contract)."""
    status = response.status_code
    if status < 500:
        return None
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    if status == 500 or (
        str(status) not in documented and "5XX" not in documented and "default" not in documented
    ):
        raise AssertionError(f"{status} from {case.method} {case.formatted_path}: {response.text[:500]}")
    return None


CHECKS = [no_undocumented_server_error, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure reproduces
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def live_stack() -> Iterator[dict[str, str]]:
    with ExitStack() as stack, dev_agent() as consul:
        echo_port = free_port()
        echo = ServiceProcess(
            python_module("echo_service"),
            name=f"echo-{echo_port}",
            env={
                "CONSUL_HTTP_ADDR": consul,
                "SERVICE_PORT": str(echo_port),
                "SERVICE_HOST": "127.0.0.1",
                "CHECK_INTERVAL": "1s",
                "LOG_LEVEL": "warning",
            },
        )
        stack.enter_context(echo)
        model = stack.enter_context(model_service_process(consul, "LinearRegression"))
        wait_http(f"http://127.0.0.1:{echo_port}/health")
        gateway = start_gateway(consul, access_log="false", upstream_timeout="5")
        stack.callback(gateway.stop)
        wait_ports(gateway.url, "echo-service", {echo_port}, timeout=30)  # type: ignore[attr-defined]
        wait_ports(gateway.url, "gdp-growth-model", {model.port}, timeout=30)  # type: ignore[attr-defined]
        yield {
            "gateway": gateway.url,  # type: ignore[attr-defined]
            "echo": f"http://127.0.0.1:{echo_port}",
            "model": model.url,
        }


def _fuzz(base: str) -> None:
    """Every operation of ``base``'s OpenAPI, ``EXAMPLES`` cases each; all failures reported."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(base_url=base, checks=CHECKS, timeout=30)

        try:
            run()
        except Exception as exc:  # a failing check (hypothesis shrinks it first), or a crash
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert operations > 0
    assert not failures, "\n\n".join(failures)


def test_gateway_api(live_stack: dict[str, str]) -> None:
    _fuzz(live_stack["gateway"])


def test_echo_api(live_stack: dict[str, str]) -> None:
    _fuzz(live_stack["echo"])


def test_model_api(live_stack: dict[str, str]) -> None:
    _fuzz(live_stack["model"])
