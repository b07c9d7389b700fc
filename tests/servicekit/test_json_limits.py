"""servicekit.json_limits: depth counted outside strings, NaN/Infinity refused, no recursion."""

from __future__ import annotations

import json

import pytest

from servicekit import JsonRejected, check_json, json_depth, loads_strict


@pytest.mark.parametrize(
    ("document", "depth"),
    [(1, 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ({"s": "[[[{{{", "t": '\\"[['}, 1)],
)
def test_depth_ignores_strings(document: object, depth: int) -> None:
    assert json_depth(json.dumps(document).encode(), 100) == depth


def test_very_deep_input_is_refused_without_recursion() -> None:
    with pytest.raises(JsonRejected, match="deeper than 64"):
        loads_strict(b"[" * 1_000_000)
    with pytest.raises(JsonRejected, match="deeper than 10"):
        check_json(b'{"a":' * 11 + b"1" + b"}" * 11, 10)
    check_json(b'{"a":' * 10 + b"1" + b"}" * 10, 10)


def test_non_finite_numbers_refused_but_not_in_strings() -> None:
    for body in (b"NaN", b'{"a": -Infinity}', b"[1, Infinity]"):
        with pytest.raises(JsonRejected):
            check_json(body)
        with pytest.raises(JsonRejected):
            loads_strict(body)
    assert loads_strict(b'{"a": "NaN"}') == {"a": "NaN"}
    check_json(b'{"a": "-Infinity"}')
