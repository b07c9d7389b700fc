"""Edge conditions: ``success`` / ``error`` / ``retry`` / ``always``, or a safe expression.

The expression language is parsed by a small recursive-descent parser, never by ``eval``:
only literals, JSON paths rooted at ``output``, ``input`` or ``status``, comparisons,
``in`` / ``not in``, ``and`` / ``or`` / ``not``, parentheses, list literals and the two
functions ``len(x)`` and ``exists(path)``. Examples::

    output.score > 0.5 and output.label == "spam"
    status == 200 and exists(output.items) and len(output.items) >= 1
    output["kind"] in ["a", "b"] or not output.ok

A path that does not exist evaluates to ``null`` (so ``exists`` is the way to test for it);
ordering comparisons between incompatible types (``"a" < 1``) are false rather than errors,
because a condition must decide a branch, not fail the flow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Condition", "ConditionError", "Expression", "parse_condition"]

MAX_LENGTH = 1000
_KEYWORDS = {"success", "error", "retry", "always"}
_ROOTS = ("output", "input", "status")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\.|-)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message says where and why."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionError(f"unexpected character {text[pos:].lstrip()[:1]!r} at position {pos}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append(_Tok(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


Node = Callable[[Mapping[str, Any]], Any]


def _unescape(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _is_null(value: Any) -> bool:
    return value is None or value is MISSING


def _equal(a: Any, b: Any) -> bool:
    if _is_null(a) or _is_null(b):
        return _is_null(a) and _is_null(b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _order(op: str) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        numeric = (int, float)
        both_num = isinstance(a, numeric) and isinstance(b, numeric)
        both_num = both_num and not isinstance(a, bool) and not isinstance(b, bool)
        if not (both_num or (isinstance(a, str) and isinstance(b, str))):
            return False
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)

    return compare


def _contains(item: Any, container: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list):
        return any(_equal(item, x) for x in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return False


def _length(value: Any) -> Any:
    return len(value) if isinstance(value, (str, list, dict)) else None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def _is(self, kind: str, value: str | None = None) -> bool:
        return self.tok.kind == kind and (value is None or self.tok.value == value)

    def _take(self, kind: str, value: str | None = None) -> _Tok:
        if not self._is(kind, value):
            want = value or kind
            got = self.tok.value or "end of expression"
            raise ConditionError(f"expected {want!r} at position {self.tok.pos}, found {got!r}")
        tok = self.tok
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self._or()
        if not self._is("end"):
            raise ConditionError(f"unexpected {self.tok.value!r} at position {self.tok.pos}")
        return node

    def _or(self) -> Node:
        left = self._and()
        while self._is("name", "or"):
            self.i += 1
            right = self._and()
            left = (lambda lhs, rhs: lambda env: bool(lhs(env)) or bool(rhs(env)))(left, right)
        return left

    def _and(self) -> Node:
        left = self._not()
        while self._is("name", "and"):
            self.i += 1
            right = self._not()
            left = (lambda lhs, rhs: lambda env: bool(lhs(env)) and bool(rhs(env)))(left, right)
        return left

    def _not(self) -> Node:
        if self._is("name", "not"):
            self.i += 1
            inner = self._not()
            return lambda env: not _truthy(inner(env))
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._unary()
        op: str | None = None
        if self.tok.kind == "op" and self.tok.value in ("==", "!=", "<", "<=", ">", ">="):
            op = self._take("op").value
        elif self._is("name", "in"):
            self.i += 1
            op = "in"
        elif (
            self._is("name", "not")
            and self.tokens[self.i + 1].kind == "name"
            and (self.tokens[self.i + 1].value == "in")
        ):
            self.i += 2
            op = "not in"
        if op is None:
            return left
        right = self._unary()
        if op == "==":
            return lambda env: _equal(left(env), right(env))
        if op == "!=":
            return lambda env: not _equal(left(env), right(env))
        if op == "in":
            return lambda env: _contains(left(env), right(env))
        if op == "not in":
            return lambda env: not _contains(left(env), right(env))
        compare = _order(op)
        return lambda env: compare(left(env), right(env))

    def _unary(self) -> Node:
        if self._is("op", "-"):
            self.i += 1
            inner = self._unary()

            def negate(env: Mapping[str, Any]) -> Any:
                value = inner(env)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return -value
                return None

            return negate
        return self._primary()

    def _primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            number: Any = float(tok.value) if any(c in tok.value for c in ".eE") else int(tok.value)
            return lambda env: number
        if tok.kind == "string":
            self.i += 1
            text = _unescape(tok.value)
            return lambda env: text
        if self._is("op", "("):
            self.i += 1
            inner = self._or()
            self._take("op", ")")
            return inner
        if self._is("op", "["):
            self.i += 1
            items: list[Node] = []
            if not self._is("op", "]"):
                items.append(self._or())
                while self._is("op", ","):
                    self.i += 1
                    items.append(self._or())
            self._take("op", "]")
            return lambda env: [item(env) for item in items]
        if tok.kind == "name":
            if tok.value in ("true", "false", "null"):
                self.i += 1
                constant = {"true": True, "false": False, "null": None}[tok.value]
                return lambda env: constant
            if tok.value in ("len", "exists"):
                return self._call()
            if tok.value in _ROOTS:
                return self._path()
            raise ConditionError(
                f"unknown name {tok.value!r} at position {tok.pos} (paths start with one of "
                f"{', '.join(_ROOTS)}; functions: len, exists)"
            )
        raise ConditionError(f"unexpected {tok.value or 'end of expression'!r} at position {tok.pos}")

    def _call(self) -> Node:
        name = self._take("name").value
        self._take("op", "(")
        arg = self._path() if name == "exists" else self._or()
        self._take("op", ")")
        if name == "exists":
            return lambda env: arg(env) is not MISSING
        return lambda env: _length(arg(env))

    def _path(self) -> Node:
        tok = self.tok
        if tok.kind != "name" or tok.value not in _ROOTS:
            raise ConditionError(f"expected a path starting with output/input/status at position {tok.pos}")
        self.i += 1
        steps: list[str | int] = []
        while True:
            if self._is("op", "."):
                self.i += 1
                steps.append(self._take("name").value)
            elif self._is("op", "["):
                self.i += 1
                if self.tok.kind == "number" and self.tok.value.isdigit():
                    steps.append(int(self._take("number").value))
                elif self.tok.kind == "string":
                    steps.append(_unescape(self._take("string").value))
                else:
                    raise ConditionError(f"expected an index or a quoted key at position {self.tok.pos}")
                self._take("op", "]")
            else:
                break
        root = tok.value

        def resolve(env: Mapping[str, Any]) -> Any:
            value: Any = env.get(root, MISSING)
            for step in steps:
                if isinstance(step, int) and isinstance(value, list):
                    value = value[step] if step < len(value) else MISSING
                elif isinstance(step, str) and isinstance(value, dict):
                    value = value.get(step, MISSING)
                else:
                    return MISSING
            return value

        return resolve


def _truthy(value: Any) -> bool:
    return False if value is MISSING else bool(value)


@dataclass(frozen=True)
class Expression:
    """A compiled condition expression; ``evaluate`` never raises on data it did not expect."""

    source: str
    _fn: Node

    def evaluate(self, output: Any, inputs: Any = None, status: int | None = None) -> bool:
        return _truthy(self._fn({"output": output, "input": inputs, "status": status}))


@dataclass(frozen=True)
class Condition:
    """What an edge waits for: ``kind`` is success, error, retry, always or expression."""

    kind: str
    expression: Expression | None = None

    @property
    def text(self) -> str:
        return self.expression.source if self.expression is not None else self.kind

    def on_success(self, output: Any, inputs: Any, status: int | None) -> bool:
        if self.kind in ("success", "always"):
            return True
        if self.kind == "expression":
            assert self.expression is not None
            return self.expression.evaluate(output, inputs, status)
        return False

    def on_error(self) -> bool:
        return self.kind in ("error", "always")


SUCCESS = Condition("success")


def parse_condition(text: str | None) -> Condition:
    """Parse an edge's ``condition`` field; ``None``/empty means success (an ordinary edge)."""
    if text is None:
        return SUCCESS
    if not isinstance(text, str):
        raise ConditionError(f"condition must be a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        return SUCCESS
    if len(stripped) > MAX_LENGTH:
        raise ConditionError(f"condition longer than {MAX_LENGTH} characters")
    if stripped in _KEYWORDS:
        return Condition(stripped)
    return Condition("expression", Expression(stripped, _Parser(stripped).parse()))
