"""How node responses are decoded: JSON, text or raw bytes, by content type."""

from __future__ import annotations

from typing import Any

from .documents import decode_document
from .errors import NodeCallError

__all__ = ["decode_body", "node_body"]


def decode_body(content_type: str, raw: bytes) -> Any:
    """JSON for JSON responses, text for ``text/*``, bytes otherwise (e.g. ``audio/wav``)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return decode_document(raw) if raw else None
    if media.startswith("text/"):
        return raw.decode(errors="replace")
    if not media:
        try:
            return decode_document(raw) if raw else None
        except ValueError:
            return raw
    return raw


def node_body(content_type: str, raw: bytes, status: int, instance: str, attempts: int = 1) -> Any:
    """A node's decoded body; an undecodable error page is kept as text, an undecodable
    success is a ``NodeCallError`` (``invalid_response``). Shared by both node callers."""
    try:
        return decode_body(content_type, raw)
    except ValueError as exc:
        if status >= 400:
            return raw.decode(errors="replace")
        raise NodeCallError(
            "invalid_response",
            f"invalid JSON body: {exc}",
            instance=instance,
            status=status,
            attempts=attempts,
        ) from exc
