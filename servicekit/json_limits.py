"""Bounded JSON: a nesting-depth check that runs before parsing, and strict loads.

``json.loads`` recurses in C and raises ``RecursionError`` from about 1,000 levels; code that
walks a parsed document (``copy.deepcopy``, validators) fails far earlier. ``json_depth``
counts brackets outside strings without building anything, so deep input is refused before
any of that. ``loads_strict`` also refuses ``NaN``/``Infinity``, which are not JSON and cannot
be written back out by a strict encoder.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["DEFAULT_MAX_DEPTH", "JsonRejected", "check_json", "json_depth", "loads_strict"]

DEFAULT_MAX_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NON_FINITE = re.compile(rb"NaN|-?Infinity")


class JsonRejected(ValueError):
    """The document is refused; ``str(exc)`` says why (for a 400/422 detail)."""


def json_depth(data: bytes, limit: int) -> int:
    """Deepest bracket nesting of ``data`` outside strings, counting stops past ``limit``."""
    return _depth(_STRING.sub(b"", data), limit)


def _depth(without_strings: bytes, limit: int) -> int:
    brackets = without_strings.translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for c in brackets:
        if c == 91 or c == 123:  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def check_json(data: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Raise ``JsonRejected`` if ``data`` nests deeper than ``max_depth`` or holds NaN/Infinity
    outside strings (without parsing it)."""
    outside = _STRING.sub(b"", data)
    if _depth(outside, max_depth) > max_depth:
        raise JsonRejected(f"JSON nested deeper than {max_depth} levels")
    if _NON_FINITE.search(outside):
        raise JsonRejected("NaN and Infinity are not JSON numbers")


def _refuse_constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not a JSON number")


def loads_strict(data: bytes | str, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """``json.loads`` with a depth limit and without NaN/Infinity; ``JsonRejected`` on either,
    ``json.JSONDecodeError``/``UnicodeDecodeError`` on malformed input."""
    raw = data.encode() if isinstance(data, str) else data
    if json_depth(raw, max_depth) > max_depth:
        raise JsonRejected(f"JSON nested deeper than {max_depth} levels")
    return json.loads(raw, parse_constant=_refuse_constant)
