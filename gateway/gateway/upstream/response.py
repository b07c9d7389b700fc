"""What an upstream call returns: status, headers, body (buffered or streamed), and provenance."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from ..discovery.instance import Instance
from .http1 import HttpError, RawResponse

__all__ = ["UpstreamResponse"]


class UpstreamResponse:
    """An upstream answer (any status: 4xx/5xx are answers, not errors).

    Buffered (``stream=False``): ``body``/``json()``/``text()`` are ready. Streamed
    (``stream=True``): iterate ``async for chunk in response`` (or ``await read()``), and call
    ``await aclose()`` when done early (reading to the end releases it too). ``instance``
    served it, after ``attempts`` tries. ``headers`` is case-insensitive; ``raw_headers`` keeps
    the upstream's bytes in order (what the proxy forwards).
    """

    def __init__(
        self,
        *,
        status: int,
        raw_headers: list[tuple[bytes, bytes]],
        instance: Instance,
        attempts: int,
        body: bytes | None = None,
        raw: RawResponse | None = None,
        on_close: Callable[[bool], None] | None = None,
    ) -> None:
        self.status = status
        self.raw_headers = raw_headers
        self.instance = instance
        self.attempts = attempts
        self._body = body
        self._raw = raw
        self._on_close = on_close
        self._headers: CIMultiDictProxy[str] | None = None

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        if self._headers is None:
            self._headers = CIMultiDictProxy(
                CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in self.raw_headers)
            )
        return self._headers

    def header(self, name: bytes) -> bytes | None:
        """First raw value of header ``name`` (lower-case bytes), without building ``headers``."""
        for key, value in self.raw_headers:
            if key.lower() == name:
                return value
        return None

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
        raw = self._raw
        if raw is None:
            if self._body:
                yield self._body
            return
        ok = False
        try:
            async for chunk in raw.aiter():
                yield chunk
            ok = True
        except HttpError as exc:
            from .errors import UpstreamUnavailable

            raise UpstreamUnavailable(
                self.instance.service,
                f"response body broke: {exc}",
                instance=f"{self.instance.address}:{self.instance.port}",
            ) from exc
        finally:
            self._finish(ok)

    async def aclose(self) -> None:
        self._finish(False)

    def _finish(self, ok: bool) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        raw.release()
        if self._on_close is not None:
            self._on_close(ok)
            self._on_close = None

    def __repr__(self) -> str:
        return f"<UpstreamResponse {self.status} from {self.instance.id} after {self.attempts} attempt(s)>"
