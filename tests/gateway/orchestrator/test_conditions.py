"""The safe condition language: what it evaluates, and what it refuses to parse."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.orchestrator import ConditionError, parse_condition


@pytest.mark.parametrize(
    ("expr", "output", "expected"),
    [
        ('output.score > 0.5 and output.label == "spam"', {"score": 0.7, "label": "spam"}, True),
        ('output.score > 0.5 and output.label == "spam"', {"score": 0.7, "label": "ham"}, False),
        ("output.score > 0.5", {}, False),  # missing path is null, not an error
        ("not exists(output.score)", {}, True),
        ("output.items[1].id == 'b'", {"items": [{"id": "a"}, {"id": "b"}]}, True),
        ("output.items[5].id == null", {"items": []}, True),
        ("output['odd key'] in ['x', 'y']", {"odd key": "y"}, True),
        ("output.tag not in output.blocked", {"tag": "a", "blocked": ["b"]}, True),
        ("len(output.items) >= 2 or output.force", {"items": [1], "force": True}, True),
        ("output.n > 'a'", {"n": 3}, False),  # incompatible types compare false
        ("output.flag", {"flag": 0}, False),
        ("-output.n < -1", {"n": 2}, True),
        ("status == 200 and input.q == 1", {}, True),
        ("(output.a or output.b) and not output.c", {"b": 1}, True),
        ("output.ok == true", {"ok": 1}, False),  # booleans are not numbers
    ],
)
def test_expressions(expr: str, output: Any, expected: bool) -> None:
    cond = parse_condition(expr)
    assert cond.kind == "expression"
    assert cond.on_success(output, {"q": 1}, 200) is expected
    assert cond.on_error() is False


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "open('x')",
        "output.a +",
        "output.a = 1",
        "lambda: 1",
        "output[output.k]",
        "len(output.a",
        "x" * 1001,
    ],
)
def test_anything_else_is_a_parse_error(expr: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(expr)


def test_keywords() -> None:
    assert parse_condition(None).kind == "success"
    assert parse_condition(" ").kind == "success"
    assert parse_condition("error").on_error() and not parse_condition("error").on_success({}, {}, 200)
    assert parse_condition("always").on_error() and parse_condition("always").on_success({}, {}, 200)
    assert parse_condition("retry").kind == "retry"


def test_paths_are_json_lookups_not_attribute_access() -> None:
    # "__class__" is just a key: it is looked up in the JSON object, never as a Python attribute
    cond = parse_condition("output.__class__ == null and exists(output.__class__) == false")
    assert cond.on_success({"a": 1}, None, 200) is True
    assert parse_condition("output.__class__ == 'x'").on_success({"__class__": "x"}, None, 200) is True
