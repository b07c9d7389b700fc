"""Start real service processes on free loopback ports for integration tests.

Every integration test in the suite starts the components it needs through
``ServiceProcess``: a real subprocess (dev agent, echo service, gateway, ...)
bound to a free port on 127.0.0.1, awaited over HTTP, stopped with SIGTERM
(so lifespan shutdown runs and services deregister) and killed if it hangs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 20.0, expect_status: int | None = 200) -> httpx.Response:
    """Poll ``url`` until it answers (with ``expect_status`` if given); raise on timeout."""
    deadline = time.monotonic() + timeout
    last: Exception | str = "no attempt"
    while time.monotonic() < deadline:
        try:
            resp = httpx.get(url, timeout=2.0)
            if expect_status is None or resp.status_code == expect_status:
                return resp
            last = f"status {resp.status_code}: {resp.text[:200]}"
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise TimeoutError(f"{url} not ready after {timeout}s: {last}")


def wait_until(
    predicate: object, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> None:
    """Poll a zero-argument callable until it returns truthy; raise ``TimeoutError`` otherwise."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout}s")


class ServiceProcess:
    """A real subprocess with its output captured to a log file."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        name: str = "service",
        ready_url: str | None = None,
        ready_timeout: float = 30.0,
        cwd: Path | None = None,
    ) -> None:
        self.args = list(args)
        self.name = name
        self.ready_url = ready_url
        self.ready_timeout = ready_timeout
        self.cwd = cwd or REPO_ROOT
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        self.env = full_env
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        self.proc = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.ready_url:
            try:
                wait_http(self.ready_url, timeout=self.ready_timeout, expect_status=None)
            except TimeoutError as exc:
                self.stop()
                raise RuntimeError(f"{self.name} did not start: {exc}\n--- log ---\n{self.output()}") from exc
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, then SIGKILL the whole process group; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        try:  # children the service may have spawned
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def python_module(module: str, *args: str) -> list[str]:
    """Command line running ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


@contextmanager
def dev_agent(port: int | None = None, *extra_args: str) -> Iterator[str]:
    """Run the project's Consul dev agent; yields its base URL (http://127.0.0.1:PORT)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with ServiceProcess(
        python_module("devagent", "--port", str(port), *extra_args),
        name="devagent",
        ready_url=f"{url}/v1/status/leader",
    ):
        yield url


def replica_gateway(agent: str, *, token: str, stack: str, name: str, **settings: str) -> ServiceProcess:
    """``python -m gateway`` managing model replicas as local processes (the process runtime),
    not registered itself, behind ``token``; not started. Its base URL is ``.url``;
    ``settings`` (``REPLICA_MAX_PER_MODEL="4"``, ...) add to or override the defaults."""
    port = free_port()
    env = {
        "CONSUL_HTTP_ADDR": agent,
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_PORT": str(port),
        "SERVICE_REGISTER": "false",
        "GATEWAY_RUNTIME": "process",
        "GATEWAY_MANAGEMENT_TOKEN": token,
        "STACK_NAME": stack,
        "REPLICA_LAUNCH_TIMEOUT": "60",
        "REPLICA_STOP_TIMEOUT": "5",
        "LOG_FORMAT": "text",
        **settings,
    }
    url = f"http://127.0.0.1:{port}"
    proc = ServiceProcess(
        python_module("gateway"), env=env, name=name, ready_url=f"{url}/health", ready_timeout=60
    )
    proc.url = url  # type: ignore[attr-defined]
    return proc
