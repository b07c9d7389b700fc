"""JSON encoding like Consul in dev mode: 4-space indent, trailing newline, Go's HTML escaping."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["dumps", "fragment", "join_array"]

# Go's encoding/json escapes these inside strings; they cannot occur outside strings in JSON text.
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _go_escape(text: str) -> str:
    for raw, esc in _GO_ESCAPES:
        if raw in text:
            text = text.replace(raw, esc)
    return text


def dumps(obj: Any) -> bytes:
    """Pretty JSON body as ``consul agent -dev`` writes it."""
    return (_go_escape(json.dumps(obj, indent=4, ensure_ascii=False)) + "\n").encode()


def fragment(obj: Any) -> bytes:
    """One array element pre-rendered at depth 1 (for assembling large cached arrays cheaply)."""
    text = _go_escape(json.dumps(obj, indent=4, ensure_ascii=False))
    return ("    " + text.replace("\n", "\n    ")).encode()


def join_array(fragments: Sequence[bytes]) -> bytes:
    if not fragments:
        return b"[]\n"
    return b"[\n" + b",\n".join(fragments) + b"\n]\n"
