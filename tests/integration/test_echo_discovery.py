"""Issue #2: the echo service registers through the kit, for real processes on real ports.

Agent and echo are separate processes; every check goes over HTTP to the agent.
"""

from __future__ import annotations

import signal
import time

import httpx

from tests.support.consul import agent_services, passing_instances
from tests.support.processes import ServiceProcess, dev_agent, free_port, python_module, wait_until

CHECK_INTERVAL = 1.0


def _echo(consul_url: str, port: int, name: str = "echo-service") -> ServiceProcess:
    return ServiceProcess(
        python_module("echo_service"),
        name=f"echo-{port}",
        env={
            "CONSUL_HTTP_ADDR": consul_url,
            "SERVICE_PORT": str(port),
            "SERVICE_HOST": "127.0.0.1",
            "SERVICE_NAME": name,
            "CHECK_INTERVAL": f"{CHECK_INTERVAL:g}s",
            "CHECK_TIMEOUT": "1s",
        },
        ready_url=f"http://127.0.0.1:{port}/health",
    )


def test_echo_registers_passing_and_deregisters_on_sigterm(consul_url: str) -> None:
    port = free_port()
    echo = _echo(consul_url, port).start()
    try:
        wait_until(lambda: len(passing_instances(consul_url, "echo-service")) == 1, 10, what="echo passing")
        entry = passing_instances(consul_url, "echo-service")[0]
        assert entry["Service"]["Address"] == "127.0.0.1"
        assert entry["Service"]["Port"] == port
        assert "echo" in entry["Service"]["Tags"]
        checks = {c["CheckID"]: c for c in entry["Checks"]}
        service_check = checks[f"service:{entry['Service']['ID']}"]
        assert service_check["Status"] == "passing"
        assert service_check["Type"] == "http"
        # the instance really serves what discovery advertises
        url = f"http://{entry['Service']['Address']}:{entry['Service']['Port']}/echo"
        assert httpx.post(url, json={"message": "Hello World"}).json() == {"message": "Hello World"}

        echo.signal(signal.SIGTERM)
        assert echo.proc is not None
        # uvicorn shuts down gracefully, then re-raises the signal: -SIGTERM is a clean exit here
        assert echo.proc.wait(timeout=15) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in echo.output()
        # deregistered on the way out: gone from the agent at once, not after a failed check
        assert agent_services(consul_url) == {} or all(
            s["Service"] != "echo-service" for s in agent_services(consul_url).values()
        )
        assert passing_instances(consul_url, "echo-service") == []
        assert "deregistered" in echo.output()
    finally:
        echo.stop()


def _agent(port: int) -> ServiceProcess:
    return ServiceProcess(
        python_module("devagent", "--port", str(port)),
        name=f"devagent-{port}",
        ready_url=f"http://127.0.0.1:{port}/v1/status/leader",
    )


def test_agent_restart_echo_comes_back_within_one_interval_plus_a_few_seconds() -> None:
    consul_port, port = free_port(), free_port()
    consul_url = f"http://127.0.0.1:{consul_port}"
    agent = _agent(consul_port).start()
    echo = _echo(consul_url, port).start()
    try:
        wait_until(
            lambda: len(passing_instances(consul_url, "echo-service")) == 1, 10, what="first registration"
        )
        # The agent keeps everything in memory: a restart forgets the echo instance.
        agent.stop()
        agent = _agent(consul_port).start()
        restarted = time.monotonic()
        wait_until(
            lambda: len(passing_instances(consul_url, "echo-service")) == 1,
            CHECK_INTERVAL + 5,
            what="echo back after agent restart",
        )
        assert time.monotonic() - restarted <= CHECK_INTERVAL + 5
        assert echo.alive(), "echo must survive its agent going away"
        assert "registering again" in echo.output()
    finally:
        echo.stop()
        agent.stop()


def test_echo_started_before_the_agent_registers_once_it_appears() -> None:
    consul_port, port = free_port(), free_port()
    echo = _echo(f"http://127.0.0.1:{consul_port}", port).start()  # no agent yet: start-up must not fail
    try:
        time.sleep(1.5)
        assert echo.alive()
        assert httpx.get(f"http://127.0.0.1:{port}/health").json() == {"status": "ok"}
        with dev_agent(consul_port) as consul_url:
            wait_until(
                lambda: len(passing_instances(consul_url, "echo-service")) == 1,
                15,
                what="late registration",
            )
        assert "not reachable" in echo.output()  # the retries were logged, not crashed on
    finally:
        echo.stop()
