"""The parent of ``GATEWAY_WORKERS`` gateway processes: starts them, restarts the ones that die.

The parent serves nothing itself. Each worker is ``python -m gateway`` with
``GATEWAY_WORKER_INDEX`` set: it binds the port with SO_REUSEPORT, runs its own discovery
watchers and cluster membership, and answers ``/metrics`` and ``/v1/statistics`` for the
whole instance by asking its siblings over unix sockets in ``GATEWAY_WORKERS_DIR``. Only
worker 0 registers the instance in Consul (they share one address and port). SIGTERM/SIGINT
are passed on to the workers, which shut down gracefully; the parent exits when they have.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from types import FrameType

from .settings import WORKER_ENV, WORKERS_DIR_ENV

__all__ = ["supervise"]

log = logging.getLogger("gateway.workers")

_STOP_GRACE = 20.0  # seconds the workers get to finish after SIGTERM
_STABLE = 60.0  # a worker up this long resets its restart back-off


class _Worker:
    def __init__(self, index: int, env: dict[str, str]) -> None:
        self.index = index
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.backoff = 1.0
        self.due = 0.0  # monotonic time of the next (re)start

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway"], env=self.env)
        self.started = time.monotonic()
        log.info("worker %d started (pid %d)", self.index, self.proc.pid)


def supervise(count: int, restart_max: float = 30.0) -> int:
    """Run ``count`` workers until SIGTERM/SIGINT; returns the exit code."""
    peers_dir = tempfile.mkdtemp(prefix="gateway-workers-")
    base = dict(os.environ)
    base.update({WORKERS_DIR_ENV: peers_dir, "GATEWAY_WORKERS": "1", "GATEWAY_WORKER_COUNT": str(count)})
    workers = []
    for i in range(count):
        env = {**base, WORKER_ENV: str(i)}
        if i > 0:
            env["SERVICE_REGISTER"] = "false"  # one registration per instance: worker 0's
        workers.append(_Worker(i, env))
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for w in workers:
            if w.proc is not None and w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("supervising %d gateway workers (peer sockets in %s)", count, peers_dir)
    try:
        for w in workers:
            w.start()
        while not stopping:
            now = time.monotonic()
            for w in workers:
                if w.proc is None:
                    if now >= w.due:
                        w.start()
                    continue
                code = w.proc.poll()
                if code is None:
                    if now - w.started > _STABLE:
                        w.backoff = 1.0
                    continue
                log.error("worker %d exited with code %s; restarting in %.0fs", w.index, code, w.backoff)
                w.proc, w.due = None, now + w.backoff
                w.backoff = min(w.backoff * 2, restart_max)
            time.sleep(0.2)
        deadline = time.monotonic() + _STOP_GRACE
        for w in workers:
            if w.proc is None:
                continue
            try:
                w.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop in time; killing it", w.index)
                w.proc.kill()
                w.proc.wait()
        return 0
    finally:
        shutil.rmtree(peers_dir, ignore_errors=True)
