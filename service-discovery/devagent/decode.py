"""Strict, Go-``encoding/json``-like decoding of request bodies.

Consul decodes bodies into Go structs with ``DisallowUnknownFields``: field names match
case-insensitively, a few snake_case aliases are translated first, unknown keys are a 400
and type mismatches produce Go's ``cannot unmarshal`` text.  Handlers receive plain dicts
keyed by the canonical Go field names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servicekit.durations import DurationError, parse_duration

__all__ = ["DecodeError", "Field", "Schema", "decode_body", "decode_value"]


class DecodeError(ValueError):
    """Body could not be decoded; ``str()`` is the text after ``Request decode failed: ``."""


@dataclass(frozen=True)
class Field:
    """One struct field: Go name, kind and optional snake_case aliases.

    kinds: ``str``, ``int``, ``uint``, ``bool``, ``duration``, ``strlist``, ``strmap``,
    ``headers`` (map of string lists), ``any`` (kept as-is), ``object`` / ``objlist`` (``schema``),
    ``objmap`` (map of ``schema`` objects).
    """

    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    schema: Schema | None = None
    ignored: bool = False  # accepted on the wire and dropped (e.g. ServiceID inside a service check)


@dataclass
class Schema:
    """A Go struct: its type name (for error text) and fields."""

    type_name: str
    fields: Sequence[Field]
    _lookup: dict[str, Field] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for fld in self.fields:
            self._lookup[fld.name.lower()] = fld
        for fld in self.fields:
            for alias in fld.aliases:
                self._lookup.setdefault(alias.lower(), fld)

    def find(self, key: str) -> Field | None:
        return self._lookup.get(key.lower())


def _go_type(fld: Field) -> str:
    return {
        "str": "string",
        "int": "int",
        "uint": "uint64",
        "bool": "bool",
        "duration": "time.Duration",
        "strlist": "[]string",
        "strmap": "map[string]string",
        "headers": "map[string][]string",
    }.get(fld.kind, "struct")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _mismatch(value: Any, schema: Schema, fld: Field, path: str) -> DecodeError:
    what = _json_kind(value)
    if what == "number":
        what = f"number {json.dumps(value)}"
    return DecodeError(
        f"json: cannot unmarshal {what} into Go struct field "
        f"{schema.type_name}.{path} of type {_go_type(fld)}"
    )


def decode_value(value: Any, schema: Schema, fld: Field, path: str) -> Any:
    """Convert one JSON value according to ``fld``; ``None`` (JSON null) means "not set"."""
    kind = fld.kind
    if value is None:
        return None
    if kind == "any":
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise _mismatch(value, schema, fld, path)
        return value
    if kind in ("int", "uint"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _mismatch(value, schema, fld, path)
        if isinstance(value, float) and not value.is_integer():
            raise _mismatch(value, schema, fld, path)
        if kind == "uint" and value < 0:
            raise _mismatch(value, schema, fld, path)
        return int(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _mismatch(value, schema, fld, path)
        return value
    if kind == "duration":
        if isinstance(value, bool):
            raise _mismatch(value, schema, fld, path)
        if isinstance(value, (int, float)):
            return int(value)  # JSON numbers are nanoseconds
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except DurationError as exc:
                raise DecodeError(str(exc)) from None
        raise _mismatch(value, schema, fld, path)
    if kind == "strlist":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _mismatch(value, schema, fld, path)
        return list(value)
    if kind == "strmap":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise _mismatch(value, schema, fld, path)
        return dict(value)
    if kind == "headers":
        if not isinstance(value, dict):
            raise _mismatch(value, schema, fld, path)
        for item in value.values():
            if not isinstance(item, list) or not all(isinstance(v, str) for v in item):
                raise _mismatch(item, schema, fld, path)
        return {k: list(v) for k, v in value.items()}
    assert fld.schema is not None
    if kind == "object":
        if not isinstance(value, dict):
            raise _mismatch(value, schema, fld, path)
        return decode_object(value, fld.schema)
    if kind == "objlist":
        if not isinstance(value, list):
            raise _mismatch(value, schema, fld, path)
        out: list[dict[str, Any]] = []
        for item in value:
            if item is None:
                out.append({})
                continue
            if not isinstance(item, dict):
                raise _mismatch(item, schema, fld, path)
            out.append(decode_object(item, fld.schema))
        return out
    if kind == "objmap":
        if not isinstance(value, dict):
            raise _mismatch(value, schema, fld, path)
        res: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(item, dict):
                raise _mismatch(item, schema, fld, path)
            res[key] = decode_object(item, fld.schema)
        return res
    raise AssertionError(f"unknown field kind {kind}")


def decode_object(data: Mapping[str, Any], schema: Schema) -> dict[str, Any]:
    """Decode a JSON object into ``{GoName: value}``; unknown keys raise like DisallowUnknownFields."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        fld = schema.find(key)
        if fld is None:
            raise DecodeError(f'json: unknown field "{key}"')
        decoded = decode_value(value, schema, fld, fld.name)
        if fld.ignored or decoded is None:
            continue
        out[fld.name] = decoded
    return out


def decode_body(body: bytes, schema: Schema) -> dict[str, Any]:
    """Decode a request body; empty body → ``EOF`` like Go's decoder."""
    if not body.strip():
        raise DecodeError("EOF")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"invalid character at offset {exc.pos}: {exc.msg}") from None
    except UnicodeDecodeError:
        raise DecodeError("invalid UTF-8 in request body") from None
    if not isinstance(data, dict):
        raise DecodeError(
            f"json: cannot unmarshal {_json_kind(data)} into Go value of type {schema.type_name}"
        )
    return decode_object(data, schema)
