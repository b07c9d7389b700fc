"""A small closed-loop HTTP load generator on raw asyncio sockets (keep-alive, one request in
flight per connection), recording each request's start, end and status. Cheap enough to run
32 connections inside a test process next to the services it drives."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Sample:
    started: float
    ended: float
    status: int

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Load:
    port: int
    request: bytes
    connections: int = 32
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Load:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        return self.samples

    async def _run(self) -> None:
        await asyncio.gather(*(self._connection() for _ in range(self.connections)))

    async def _connection(self) -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                assert reader is not None
                writer.write(self.request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                status = int(head[9:12])
                if b"connection: close" in head.lower():
                    writer.close()
                    writer = None
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                status = 0  # transport failure seen by the client
                if writer is not None:
                    writer.close()
                writer = None
            self.samples.append(Sample(started, time.monotonic(), status))
        if writer is not None:
            writer.close()
