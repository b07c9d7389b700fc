"""Replicas as local ``python -m model_service`` processes on free loopback ports (``make run``).

Same contract as the Docker backend: an id, a name (its Consul service id), SIGTERM on
removal so the service deregisters. Processes are children of the gateway and always end
with it. With a ``SharedProcessBook`` (``share``), every gateway instance lists the replicas
of all of them and removes another instance's replica by asking its owner through Consul.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .backend import LaunchSpec
from .errors import ReplicaNotFound, RuntimeUnavailable
from .settings import ReplicaSettings
from .shared_book import SharedProcessBook
from .types import ReplicaInfo

# Linux: a replica gets SIGTERM (and deregisters) when the gateway process that launched it
# dies, a crash included; otherwise it would run on, unowned, and nobody could stop it.
# libc is loaded here, once: the child only makes the one call between fork and exec.
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


__all__ = ["ProcessBackend"]

log = logging.getLogger("gateway.replicas.process")

# Variables of the gateway's own identity that must not leak into a replica's environment.
_STRIP_PREFIXES = ("SERVICE_", "GATEWAY_", "REPLICA_", "CHECK_", "GDP_MODEL_NAME")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class _Proc:
    id: str
    name: str
    model: str
    port: int
    created: float
    process: asyncio.subprocess.Process
    log_path: Path


class ProcessBackend:
    kind = "process"
    host = "127.0.0.1"

    def __init__(self, settings: ReplicaSettings, owner: str) -> None:
        self.settings = settings
        self.owner = owner
        self.stack = settings.stack_name or "consul-gateway"
        self._procs: dict[str, _Proc] = {}
        self._log_dir = Path(tempfile.mkdtemp(prefix="gateway-replicas-"))
        self.book: SharedProcessBook | None = None

    async def start(self) -> None:
        return None

    async def share(self, book: SharedProcessBook) -> None:
        """Record this gateway's replicas in Consul and see the other instances' (see module doc)."""
        self.book = book
        await book.start(self._remove_for_peer)
        for proc in self._procs.values():
            await book.publish(self._info(proc), proc.process.pid)

    async def _remove_for_peer(self, replica_id: str) -> None:
        with contextlib.suppress(ReplicaNotFound):
            await self.remove(replica_id)

    async def launch(self, spec: LaunchSpec) -> ReplicaInfo:
        port = _free_port(self.host)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIP_PREFIXES)}
        env.update(spec.environment(self.host, port))
        env["SERVICE_ADVERTISE_ADDRESS"] = self.host
        env.setdefault("PYTHONUNBUFFERED", "1")
        # Let replicas cache bytecode: recompiling scikit-learn on every start costs seconds.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        replica_id = f"proc-{uuid.uuid4().hex[:12]}"
        log_path = self._log_dir / f"{spec.name}.log"
        with log_path.open("ab") as out:
            try:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "model_service",
                    env=env,
                    stdout=out,
                    stderr=asyncio.subprocess.STDOUT,
                    stdin=asyncio.subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            except OSError as exc:
                raise RuntimeUnavailable(f"could not start a model_service process: {exc}") from exc
        proc = _Proc(replica_id, spec.name, spec.model, port, time.time(), process, log_path)
        self._procs[replica_id] = proc
        log.info("replica %s (%s) started as pid %d on port %d", spec.name, spec.model, process.pid, port)
        info = self._info(proc)
        if self.book is not None:
            await self.book.publish(info, process.pid)
        return info

    async def get(self, replica_id: str) -> ReplicaInfo | None:
        proc = self._find(replica_id)
        if proc is not None:
            return self._info(proc)
        return self.book.get(replica_id) if self.book is not None else None

    async def list(self, model: str | None = None) -> list[ReplicaInfo]:
        infos = [self._info(p) for p in self._procs.values()]
        if self.book is not None:  # other gateway instances' replicas of this stack
            infos += self.book.others()
        return sorted(
            (i for i in infos if model is None or i.model == model), key=lambda i: (i.created, i.name)
        )

    async def remove(self, replica_id: str) -> ReplicaInfo:
        proc = self._find(replica_id)
        if proc is None:
            if self.book is not None and self.book.find(replica_id) is not None:
                return await self.book.request_removal(replica_id, self.settings.replica_stop_timeout + 10)
            raise ReplicaNotFound(f"no replica managed by this gateway has id {replica_id!r}")
        await self._terminate(proc)
        self._procs.pop(proc.id, None)
        if self.book is not None:
            await self.book.withdraw(proc.id)
        with contextlib.suppress(OSError):
            proc.log_path.unlink()
        return self._info(proc)

    async def logs(self, replica_id: str, lines: int = 20) -> str:
        proc = self._find(replica_id)
        if proc is None:
            return ""
        try:
            return "\n".join(proc.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def close(self) -> None:
        # Children cannot outlive the gateway: stop them all (SIGTERM, then SIGKILL).
        await asyncio.gather(
            *(self._terminate(p) for p in list(self._procs.values())), return_exceptions=True
        )
        if self.book is not None:
            await asyncio.gather(*(self.book.withdraw(p.id) for p in self._procs.values()))
            await self.book.stop()
        self._procs.clear()
        shutil.rmtree(self._log_dir, ignore_errors=True)

    # ------------------------------------------------------------------ helpers
    def _find(self, replica_id: str) -> _Proc | None:
        proc = self._procs.get(replica_id)
        if proc is None:  # also accept the name, like Docker does
            proc = next((p for p in self._procs.values() if p.name == replica_id), None)
        return proc

    async def _terminate(self, proc: _Proc) -> None:
        process = proc.process
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(self.settings.replica_stop_timeout):
                await process.wait()
        except TimeoutError:
            log.warning(
                "replica %s ignored SIGTERM for %.0fs; killing", proc.name, self.settings.replica_stop_timeout
            )
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    def _info(self, proc: _Proc) -> ReplicaInfo:
        code = proc.process.returncode
        return ReplicaInfo(
            id=proc.id,
            name=proc.name,
            model=proc.model,
            status="running" if code is None else "exited",
            image="process:python -m model_service",
            address=self.host,
            port=proc.port,
            created=proc.created,
            exit_code=code,
            owner=self.owner,
        )
