"""Workers of one instance answer each other over unix sockets: one worker can then serve
``/metrics`` and ``/v1/statistics`` for all of them.

Each worker listens on ``<GATEWAY_WORKERS_DIR>/<index>.sock``. A request is one line naming
what is wanted (``metrics`` or ``statistics``); the answer is the bytes, then the connection
closes. A sibling that does not answer within ``timeout`` (restarting) is left out, and the
caller says how many workers its figures cover.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from .settings import WORKERS_DIR_ENV, worker_index

__all__ = ["Peers"]

log = logging.getLogger("gateway.workers")

Answer = Callable[[str], Awaitable[bytes]]
KINDS = frozenset({"metrics", "statistics"})
_MAX_ANSWER = 64 * 1024 * 1024


class Peers:
    def __init__(self, directory: Path, index: int, count: int, answer: Answer, timeout: float = 2.0) -> None:
        self.directory = directory
        self.index = index
        self.count = count
        self.answer = answer
        self.timeout = timeout
        self._server: asyncio.AbstractServer | None = None

    @classmethod
    def from_env(cls, answer: Answer) -> Peers | None:
        """The peer set of this worker, or None when the process is not a supervised worker."""
        index = worker_index()
        if index is None:
            return None
        count = int(os.environ.get("GATEWAY_WORKER_COUNT", "1") or 1)
        return cls(Path(os.environ[WORKERS_DIR_ENV]), index, count, answer)

    def path(self, index: int) -> Path:
        return self.directory / f"{index}.sock"

    async def start(self) -> None:
        path = self.path(self.index)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by this worker's previous life
        self._server = await asyncio.start_unix_server(self._handle, path=str(path))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path(self.index).unlink()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                line = await reader.readline()
            kind = line.decode(errors="replace").strip()
            if kind in KINDS:
                writer.write(await self.answer(kind))
                await writer.drain()
        except (TimeoutError, ConnectionError, OSError) as exc:
            log.debug("peer request failed: %s", exc)
        except Exception:
            log.exception("answering a sibling worker failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _ask(self, index: int, kind: str) -> bytes | None:
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_unix_connection(str(self.path(index)), limit=_MAX_ANSWER)
        except (TimeoutError, OSError):
            return None
        try:
            writer.write(kind.encode() + b"\n")
            await writer.drain()
            async with asyncio.timeout(self.timeout):
                return await reader.read(_MAX_ANSWER)
        except (TimeoutError, OSError):
            return None
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def gather(self, kind: str) -> list[bytes]:
        """Every worker's answer (this one's first); siblings that do not answer are left out."""
        own = await self.answer(kind)
        others = await asyncio.gather(*(self._ask(i, kind) for i in range(self.count) if i != self.index))
        return [own, *(o for o in others if o)]
