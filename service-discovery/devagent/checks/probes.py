"""One execution of an HTTP, TCP or script check, returning (status, output) like Consul's monitors."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx

from servicekit.durations import format_duration

from ..model import CRITICAL, PASSING, WARNING
from .truncate import tail_bytes

__all__ = ["http_probe", "script_probe", "tcp_probe"]

_USER_AGENT = "Consul Health Check"
_ACCEPT = "text/plain, text/*, */*"


def _go_op(method: str) -> str:
    return method[:1].upper() + method[1:].lower()


def _dial_error(exc: BaseException, addr: str) -> str:
    """Go-like text for a failed dial (``dial tcp 127.0.0.1:1: connect: connection refused``)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return f"dial tcp {addr}: connect: connection refused"
        if isinstance(cause, TimeoutError):
            return f"dial tcp {addr}: i/o timeout"
        if isinstance(cause, OSError) and cause.errno is not None:
            # Go prints the lower-case syscall error text, e.g. "no route to host"
            return f"dial tcp {addr}: connect: {os.strerror(cause.errno).lower()}"
        cause = cause.__cause__ or cause.__context__
    return f"dial tcp {addr}: {exc}"


async def http_probe(
    client: httpx.AsyncClient, definition: dict[str, Any], timeout_s: float, max_output: int
) -> tuple[str, str]:
    url: str = definition["HTTP"]
    method: str = definition.get("Method") or "GET"
    headers: dict[str, str] = {"User-Agent": _USER_AGENT, "Accept": _ACCEPT, "Connection": "close"}
    extra: dict[str, list[str]] = definition.get("Header") or {}
    multi: list[tuple[str, str]] = []
    for name, values in extra.items():
        headers.pop(name, None)
        for key in list(headers):
            if key.lower() == name.lower():
                headers.pop(key)
        multi.extend((name, v) for v in values)
    all_headers = list(headers.items()) + multi
    body = definition.get("Body") or None
    try:
        async with asyncio.timeout(timeout_s):
            request = client.build_request(method, url, headers=all_headers, content=body)
            response = await client.send(
                request, stream=True, follow_redirects=not definition.get("DisableRedirects", False)
            )
            try:
                chunks = bytearray()
                async for chunk in response.aiter_bytes():
                    chunks += chunk
                    if len(chunks) > 4 * max_output:  # keep memory bounded; only the tail is reported
                        del chunks[: len(chunks) - max_output]
            finally:
                await response.aclose()
    except TimeoutError:
        return CRITICAL, (
            f'{_go_op(method)} "{url}": context deadline exceeded '
            "(Client.Timeout exceeded while awaiting headers)"
        )
    except httpx.TooManyRedirects:
        return CRITICAL, f'{_go_op(method)} "{url}": stopped after 10 redirects'
    except httpx.HTTPError as exc:
        host = exc.request.url.host if hasattr(exc, "request") else ""
        port = exc.request.url.port if hasattr(exc, "request") else None
        if isinstance(exc, httpx.ConnectError):
            port = port or (443 if url.startswith("https") else 80)
            return CRITICAL, f'{_go_op(method)} "{url}": {_dial_error(exc, f"{host}:{port}")}'
        return CRITICAL, f'{_go_op(method)} "{url}": {exc or type(exc).__name__}'
    code = response.status_code
    status_line = f"{code} {response.reason_phrase}".rstrip()
    output = f"HTTP {method} {url}: {status_line} Output: {tail_bytes(bytes(chunks), max_output)}"
    if 200 <= code <= 299:
        return PASSING, output
    if code == 429:
        return WARNING, output
    return CRITICAL, output


async def tcp_probe(addr: str, timeout_s: float) -> tuple[str, str]:
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    try:
        async with asyncio.timeout(timeout_s):
            _, writer = await asyncio.open_connection(host, int(port))
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    except TimeoutError:
        return CRITICAL, f"dial tcp {addr}: i/o timeout"
    except (OSError, ValueError) as exc:
        return CRITICAL, _dial_error(exc, addr)
    return PASSING, f"TCP connect {addr}: Success"


async def script_probe(args: list[str], timeout_s: float, max_output: int) -> tuple[str, str]:
    try:
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True
        )
    except OSError as exc:
        return CRITICAL, f"Failed to start command: {exc}"
    try:
        async with asyncio.timeout(timeout_s):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return CRITICAL, f"Timed out ({format_duration(int(timeout_s * 1e9))}) running check"
    output = tail_bytes(out or b"", max_output)
    if proc.returncode == 0:
        return PASSING, output
    if proc.returncode == 1:
        return WARNING, output
    return CRITICAL, output
