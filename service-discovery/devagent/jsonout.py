"""JSON encoding like Consul: Go's HTML escaping; compact by default (half the bytes of indented
JSON, C encoder) or pretty (4-space indent + newline) as ``consul agent -dev`` with ``--pretty``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["configure", "dumps", "fragment", "is_pretty", "join_array", "prettify"]

# Go's encoding/json escapes these inside strings; they cannot occur outside strings in JSON text.
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_PRETTY = False  # set once at start-up; cached bodies assume one mode per process


def configure(pretty: bool) -> None:
    global _PRETTY
    _PRETTY = pretty


def is_pretty() -> bool:
    return _PRETTY


def _go_escape(text: str) -> str:
    for raw, esc in _GO_ESCAPES:
        if raw in text:
            text = text.replace(raw, esc)
    return text


def dumps(obj: Any) -> bytes:
    """Response body: pretty with a trailing newline (dev mode) or compact with a newline (Go's Encoder)."""
    if _PRETTY:
        return (_go_escape(json.dumps(obj, indent=4, ensure_ascii=False)) + "\n").encode()
    return (_go_escape(json.dumps(obj, ensure_ascii=False, separators=(",", ":"))) + "\n").encode()


def prettify(body: bytes) -> bytes:
    """Re-indent a compact body for ``?pretty``."""
    text = json.dumps(json.loads(body), indent=4, ensure_ascii=False)
    return (_go_escape(text) + "\n").encode()


def fragment(obj: Any) -> bytes:
    """One array element pre-rendered at depth 1 (for assembling large cached arrays cheaply)."""
    if not _PRETTY:
        return _go_escape(json.dumps(obj, ensure_ascii=False, separators=(",", ":"))).encode()
    text = _go_escape(json.dumps(obj, indent=4, ensure_ascii=False))
    return ("    " + text.replace("\n", "\n    ")).encode()


def join_array(fragments: Sequence[bytes]) -> bytes:
    if not fragments:
        return b"[]\n"
    if not _PRETTY:
        return b"[" + b",".join(fragments) + b"]\n"
    return b"[\n" + b",\n".join(fragments) + b"\n]\n"
