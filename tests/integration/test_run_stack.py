"""``make run`` (scripts/run_stack.py) restarts a crashed component and stops only on SIGTERM
(issue #10, item 11: a SIGKILLed dev agent used to stop all five components in 1.2 s)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.processes import REPO_ROOT, free_port, wait_http, wait_until


def _children(pid: int) -> dict[int, str]:
    """Direct children of ``pid``: pid → command line."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return found


def _agent_pid(stack_pid: int) -> int | None:
    for pid, cmd in _children(stack_pid).items():
        if "-m devagent" in cmd:
            return pid
    return None


def test_killed_component_is_restarted_and_sigterm_stops_all() -> None:
    consul, gateway, echo = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "CONSUL_PORT": str(consul),
        "GATEWAY_PORT": str(gateway),
        "ECHO_PORT": str(echo),
        "MODEL_PORTS": "",  # no model replicas: the restart logic is the same, the test lean
        "CHECK_INTERVAL": "1s",
        "LOG_LEVEL": "warning",
    }
    log = tempfile.NamedTemporaryFile(prefix="run-stack-", suffix=".log", delete=False)
    stack = subprocess.Popen(
        [sys.executable, "scripts/run_stack.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_http(f"http://127.0.0.1:{gateway}/ready", timeout=60)
        echo_url = f"http://127.0.0.1:{gateway}/svc/echo-service/echo"
        wait_until(
            lambda: httpx.post(echo_url, json={"a": 1}).status_code == 200, timeout=30, what="echo routed"
        )
        first = _agent_pid(stack.pid)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until(
            lambda: (p := _agent_pid(stack.pid)) is not None and p != first,
            timeout=10,
            what="agent restarted",
        )
        wait_http(f"http://127.0.0.1:{consul}/v1/status/leader", timeout=20)
        assert stack.poll() is None, "the stack must keep running"
        # The services re-register with the new agent and the gateway routes again.
        wait_until(
            lambda: httpx.post(echo_url, json={"a": 2}).status_code == 200, timeout=40, what="echo again"
        )
        text = Path(log.name).read_text()
        # The banner comes once the gateway answers, with the token to export for gatewayctl.
        assert f"Stack up: gateway http://localhost:{gateway} " in text, text[-2000:]
        assert "export GATEWAY_MANAGEMENT_TOKEN=" in text
        assert "consul exited with -9; restarting it in 1 s" in text, text[-2000:]
        assert "restarting consul (restart #1)" in text
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            code = stack.wait(timeout=40)
        except subprocess.TimeoutExpired:
            stack.kill()
            raise
    assert code == 0
    assert not _children(stack.pid)
    time.sleep(0.2)
    for port in (consul, gateway, echo):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            raise AssertionError(f"port {port} still served after SIGTERM")
        except httpx.TransportError:
            pass


def test_ports_in_use_stop_it_before_anything_starts() -> None:
    """A second ``make run`` would join the first stack's agent and restart its own components
    forever; it says which ports are taken instead."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CONSUL_PORT": str(free_port()), "GATEWAY_PORT": str(port), "MODEL_PORTS": ""}
        env["ECHO_PORT"] = str(free_port())
        done = subprocess.run(
            [sys.executable, "scripts/run_stack.py"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert f"ports already in use: gateway :{port}" in done.stderr
    assert "Stack up" not in done.stdout
