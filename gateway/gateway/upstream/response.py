"""What an upstream call returns: status, headers, body (buffered or streamed), and provenance."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp

from ..discovery.instance import Instance

__all__ = ["UpstreamResponse"]


class UpstreamResponse:
    """An upstream answer (any status: 4xx/5xx are answers, not errors).

    Buffered (``stream=False``): ``body``/``json()``/``text()`` are ready. Streamed
    (``stream=True``): iterate ``async for chunk in response`` (or ``await read()``), and call
    ``await aclose()`` when done (iteration to the end closes it too). ``instance`` served it,
    after ``attempts`` tries.
    """

    def __init__(
        self,
        *,
        status: int,
        headers: Mapping[str, str],
        raw_headers: tuple[tuple[bytes, bytes], ...],
        instance: Instance,
        attempts: int,
        body: bytes | None = None,
        raw: aiohttp.ClientResponse | None = None,
        on_close: Callable[[bool], None] | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.raw_headers = raw_headers
        self.instance = instance
        self.attempts = attempts
        self._body = body
        self._raw = raw
        self._on_close = on_close

    @property
    def streamed(self) -> bool:
        return self._raw is not None

    @property
    def body(self) -> bytes:
        if self._body is None:
            raise RuntimeError("streamed response: iterate it or await read() first")
        return self._body

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    async def read(self) -> bytes:
        if self._body is None:
            self._body = b"".join([chunk async for chunk in self])
        return self._body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._raw is None:
            if self._body:
                yield self._body
            return
        ok = False
        try:
            async for chunk in self._raw.content.iter_any():
                yield chunk
            ok = True
        finally:
            self._finish(ok)

    async def aclose(self) -> None:
        self._finish(False)

    def _finish(self, ok: bool) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        if ok:
            raw.release()
        else:
            raw.close()  # partial read: the connection cannot be reused
        if self._on_close is not None:
            self._on_close(ok)
            self._on_close = None

    def __repr__(self) -> str:
        return f"<UpstreamResponse {self.status} from {self.instance.id} after {self.attempts} attempt(s)>"
