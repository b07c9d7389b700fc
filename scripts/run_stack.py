"""``make run``: the whole stack as local processes, no Docker needed.

Starts the Consul dev agent, the echo service, two model-service replicas
(LinearRegression and RandomForest) and the gateway, prefixes each line of their
logs with the component's name, and on Ctrl-C (or SIGTERM) stops them in reverse
order so every service deregisters while the agent is still up.

Ports and the management token can be overridden through the environment
(``CONSUL_PORT``, ``GATEWAY_PORT``, ``ECHO_PORT``, ``MODEL_PORTS``,
``GATEWAY_MANAGEMENT_TOKEN``).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
COLORS = ["\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


@dataclass
class Component:
    name: str
    module: str
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None


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


def main() -> int:
    consul_port = int(os.environ.get("CONSUL_PORT", "8500"))
    gateway_port = int(os.environ.get("GATEWAY_PORT", "8000"))
    echo_port = int(os.environ.get("ECHO_PORT", "8001"))
    model_ports = [int(p) for p in os.environ.get("MODEL_PORTS", "8101,8102").split(",")]
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
    width = max(len(c.name) for c in components)
    lock = threading.Lock()
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    for i, comp in enumerate(components):
        env = {**os.environ, **comp.env}
        comp.proc = subprocess.Popen(
            [sys.executable, "-m", comp.module, *comp.args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        prefix = f"{COLORS[i % len(COLORS)]}{comp.name.ljust(width)} |{RESET}"
        assert comp.proc.stdout is not None
        threading.Thread(target=_pump, args=(comp.proc.stdout, prefix, lock), daemon=True).start()
        if comp.module == "devagent" and not _wait_http(f"{consul_addr}/v1/status/leader", 20):
            print("dev agent did not start; stopping", file=sys.stderr)
            stopping.set()
            break

    if not stopping.is_set():
        with lock:
            print(
                f"\nStack up: gateway http://127.0.0.1:{gateway_port} (docs /docs, dashboard /dashboard), "
                f"Consul dev agent {consul_addr}/ui\n"
                f"Management token (Authorization: Bearer ...): {token}\nCtrl-C stops everything.\n",
                flush=True,
            )
    while not stopping.is_set():
        for comp in components:
            if comp.proc is not None and comp.proc.poll() is not None:
                with lock:
                    print(f"{comp.name} exited with {comp.proc.returncode}; stopping the stack", flush=True)
                stopping.set()
                break
        stopping.wait(0.5)

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
