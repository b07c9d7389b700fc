"""``make run``: the whole stack as local processes, no Docker needed.

Starts the Consul dev agent, the echo service, two model-service replicas
(LinearRegression and RandomForest) and the gateway, prefixes each line of their
logs with the component's name, and on Ctrl-C (or SIGTERM) stops them in reverse
order so every service deregisters while the agent is still up.

A component that dies on its own is restarted, as compose's ``restart: unless-stopped``
does: after 1 s, doubling up to 30 s while it keeps dying (back to 1 s once it has run for
30 s), each restart said in the log. Only Ctrl-C/SIGTERM stops the stack.

Ports and the management token can be overridden through the environment
(``CONSUL_PORT``, ``GATEWAY_PORT``, ``ECHO_PORT``, ``MODEL_PORTS`` (empty: no model
replicas), ``GATEWAY_MANAGEMENT_TOKEN``).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 30.0  # running this long resets the back-off
COLORS = ["\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


@dataclass
class Component:
    name: str
    module: str
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    prefix: str = ""
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None  # set while waiting to restart after a crash

    def spawn(self, lock: threading.Lock) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        assert self.proc.stdout is not None
        threading.Thread(target=_pump, args=(self.proc.stdout, self.prefix, lock), daemon=True).start()

    def schedule_restart(self, now: float) -> float:
        """The process died on its own: when to start it again (exponential back-off)."""
        if now - self.started_at >= STABLE_AFTER:
            self.backoff = BACKOFF_FIRST
        delay = self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        self.restart_at = now + delay
        return delay


def _pump(stream: IO[bytes], prefix: str, lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        with lock:
            sys.stdout.write(f"{prefix} {line}\n")
            sys.stdout.flush()


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _busy_ports(ports: dict[str, int]) -> list[str]:
    """Components whose port is taken (another ``make run``?): started anyway, they would fail
    to bind and be restarted forever while the banner showed the other stack's gateway."""
    busy = []
    for name, port in ports.items():
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(f"{name} :{port}")
    return busy


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.3):
            return True
    except OSError:
        return False


def main() -> int:
    consul_port = int(os.environ.get("CONSUL_PORT", "8500"))
    gateway_port = int(os.environ.get("GATEWAY_PORT", "8000"))
    echo_port = int(os.environ.get("ECHO_PORT", "8001"))
    model_ports = [int(p) for p in os.environ.get("MODEL_PORTS", "8101,8102").split(",") if p.strip()]
    token = os.environ.get("GATEWAY_MANAGEMENT_TOKEN") or secrets.token_urlsafe(18)
    consul_addr = f"http://127.0.0.1:{consul_port}"
    common = {
        "CONSUL_HTTP_ADDR": consul_addr,
        "SERVICE_HOST": "127.0.0.1",
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        # Locally a replica should turn passing within seconds of starting.
        "CHECK_INTERVAL": os.environ.get("CHECK_INTERVAL", "2s"),
        "PYTHONUNBUFFERED": "1",
    }
    components = [
        Component("consul", "devagent", args=["--port", str(consul_port)]),
        Component("echo", "echo_service", {**common, "SERVICE_PORT": str(echo_port)}),
        *(
            Component(
                f"model-{name}",
                "model_service",
                {**common, "SERVICE_PORT": str(port), "GDP_MODEL_NAME": name},
            )
            for name, port in zip(["LinearRegression", "RandomForest"], model_ports, strict=False)
        ),
        Component(
            "gateway",
            "gateway",
            {
                **common,
                "SERVICE_PORT": str(gateway_port),
                "GATEWAY_MANAGEMENT_TOKEN": token,
                "GATEWAY_RUNTIME": os.environ.get("GATEWAY_RUNTIME", "process"),
            },
        ),
    ]
    ports = {"consul": consul_port, "echo": echo_port, "gateway": gateway_port}
    ports.update({c.name: int(c.env["SERVICE_PORT"]) for c in components if c.module == "model_service"})
    busy = _busy_ports(ports)
    if busy:
        print(
            f"ports already in use: {', '.join(busy)} (another make run?). Stop it, or choose other "
            "ports with CONSUL_PORT, GATEWAY_PORT, ECHO_PORT, MODEL_PORTS.",
            file=sys.stderr,
        )
        return 1
    width = max(len(c.name) for c in components)
    lock = threading.Lock()
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    for i, comp in enumerate(components):
        comp.prefix = f"{COLORS[i % len(COLORS)]}{comp.name.ljust(width)} |{RESET}"
        comp.spawn(lock)
        if comp.module == "devagent" and not _wait_http(f"{consul_addr}/v1/status/leader", 20):
            print("dev agent did not start; stopping", file=sys.stderr)
            stopping.set()
            break

    # The banner once the gateway answers (checked from the supervising loop, so a component
    # dying meanwhile is still restarted), not while the services are still importing.
    announced = stopping.is_set()
    next_check = 0.0
    while not stopping.is_set():
        now = time.monotonic()
        if not announced and now >= next_check:
            next_check = now + 0.5
            if _answers(f"http://127.0.0.1:{gateway_port}/health"):
                announced = True
                with lock:
                    print(
                        f"\nStack up: gateway http://localhost:{gateway_port} "
                        "(docs /docs, dashboard /dashboard), "
                        f"Consul dev agent http://localhost:{consul_port}/ui\n"
                        f"Management token (Authorization: Bearer ...): {token}\n"
                        f"  export GATEWAY_MANAGEMENT_TOKEN={token}   # for uv run gatewayctl\n"
                        "Ctrl-C stops everything.\n",
                        flush=True,
                    )
        for comp in components:
            if comp.proc is None or stopping.is_set():
                continue
            if comp.restart_at is not None:
                if now >= comp.restart_at:
                    comp.restarts += 1
                    with lock:
                        print(f"restarting {comp.name} (restart #{comp.restarts})", flush=True)
                    comp.spawn(lock)
            elif comp.proc.poll() is not None:
                delay = comp.schedule_restart(now)
                with lock:
                    print(
                        f"{comp.name} exited with {comp.proc.returncode}; restarting it in {delay:.0f} s",
                        flush=True,
                    )
        stopping.wait(0.2)

    # Reverse order: services deregister while the agent still runs; the agent goes last.
    exit_code = 0
    for comp in reversed(components):
        if comp.proc is None:
            continue
        if comp.proc.poll() is None:
            comp.proc.send_signal(signal.SIGTERM)
            try:
                comp.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                comp.proc.kill()
                comp.proc.wait()
        elif comp.proc.returncode not in (0, -signal.SIGTERM):
            exit_code = 1
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
