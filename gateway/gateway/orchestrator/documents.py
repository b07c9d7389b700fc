"""The JSON documents flows pass between nodes: copy, encode and decode them fast.

``copy_document``: every root node gets its own copy of the flow's inputs (as in OPEA), so
hooks that edit one node's inputs never edit another's. Inputs are almost always JSON
documents: dicts, lists and scalars are copied here directly (several times faster than
``copy.deepcopy``); anything else (a pydantic model, a custom object) goes through
``copy.deepcopy``.

``encode_document`` / ``decode_document``: orjson (5-20x faster than the json module, most of
a node call's CPU in the engine), with the json module as the fallback for what orjson refuses
(non-string keys, integers beyond 64 bits, NaN/Infinity literals), so every document the json
module accepted is still accepted.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson

__all__ = ["copy_document", "decode_document", "encode_document"]

_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_document(value: Any) -> Any:
    """A deep copy of ``value`` (JSON documents have no cycles; other objects: ``deepcopy``)."""
    kind = type(value)
    scalars = _SCALARS
    if kind is dict:
        return {key: item if type(item) in scalars else copy_document(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in scalars else copy_document(item) for item in value]
    if kind in scalars:
        return value
    return copy.deepcopy(value)


def encode_document(value: Any) -> bytes:
    """Compact JSON bytes of ``value``."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value).encode()


def decode_document(raw: bytes) -> Any:
    """The document in ``raw``; ``ValueError`` if it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # a ValueError; NaN/Infinity and big ints: the json module
        return json.loads(raw)
