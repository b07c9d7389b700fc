"""A go-bexpr subset for the ``filter`` query parameter.

Supported: ``==``, ``!=``, ``is empty``, ``is not empty``, ``in``, ``not in``, ``contains``,
``not contains``, ``matches``, ``not matches``, ``and``, ``or``, ``not``, parentheses;
selectors like ``Service``, ``Meta.env``, ``Meta["x-y"]``, ``Service.Tags``, ``Checks.Status``
(a selector through a list matches if any element does).  Values: "double", `backtick` or bare.
Errors are 400 ``Failed to create boolean expression evaluator: ...`` as in Consul.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError

__all__ = ["compile_filter"]

_MAP_FIELDS = {"Meta", "NodeMeta", "ServiceMeta", "TaggedAddresses", "ServiceTaggedAddresses", "Header"}
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)|(?P<op>==|!=|\(|\)|\[|\]|\.)|(?P<word>[^\s()\[\]."=!`]+))'
)
Predicate = Callable[[Any], bool]


def _fail(message: str) -> ApiError:
    return ApiError(400, f"Failed to create boolean expression evaluator: {message}")


def _tokenize(expr: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if match is None or match.end() == pos:
            raise _fail(f"1:{pos + 1}: unexpected input {expr[pos : pos + 10]!r}")
        kind = match.lastgroup or "word"
        text = match.group(kind)
        if kind == "str":
            text = text[1:-1].replace('\\"', '"') if text[0] == '"' else text[1:-1]
        tokens.append((kind, text))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def word(self, offset: int = 0) -> str | None:
        tok = self.peek(offset)
        return tok[1].lower() if tok and tok[0] == "word" else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _fail("unexpected end of expression")
        self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok[1] != text:
            raise _fail(f"expected {text!r}, found {tok[1]!r}")

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek() is not None:
            raise _fail(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return pred

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while self.word() == "or":
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda o: a(o) or b(o))(left, right)
        return left

    def and_expr(self) -> Predicate:
        left = self.not_expr()
        while self.word() == "and":
            self.take()
            right = self.not_expr()
            left = (lambda a, b: lambda o: a(o) and b(o))(left, right)
        return left

    def not_expr(self) -> Predicate:
        if self.word() == "not" and self.word(1) != "in":
            self.take()
            inner = self.not_expr()
            return lambda o: not inner(o)
        tok = self.peek()
        if tok is not None and tok == ("op", "("):
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        return self.match_expr()

    def selector(self) -> list[str]:
        kind, text = self.take()
        if kind != "word":
            raise _fail(f"expected a selector, found {text!r}")
        path = [text]
        while self.peek() in (("op", "."), ("op", "[")):
            sep = self.take()[1]
            kind, text = self.take()
            path.append(text)
            if sep == "[":
                self.expect("]")
        return path

    def value(self) -> str:
        kind, text = self.take()
        if kind == "op":
            raise _fail(f"expected a value, found {text!r}")
        return text

    def match_expr(self) -> Predicate:
        tok = self.peek()
        # value (not) in selector
        if tok is not None and (self.word(1) == "in" or (self.word(1) == "not" and self.word(2) == "in")):
            value = self.value()
            negate = self.word() == "not"
            self.pos += 2 if negate else 1
            path = self.selector()
            return _build(path, "in", value, negate)
        path = self.selector()
        op_tok = self.take()
        op = op_tok[1].lower()
        if op in ("==", "!="):
            return _build(path, "==", self.value(), op == "!=")
        if op == "is":
            negate = self.word() == "not"
            if negate:
                self.take()
            if self.word() != "empty":
                raise _fail("expected 'empty'")
            self.take()
            return _build(path, "empty", "", negate)
        negate = op == "not"
        if negate:
            op = self.take()[1].lower()
        if op in ("contains", "matches"):
            return _build(path, op, self.value(), negate)
        raise _fail(f"unexpected operator {op_tok[1]!r}")


def _resolve(obj: Any, path: list[str], parent_is_map: bool = False) -> list[Any]:
    """All values at ``path`` (lists fan out); a missing struct field is an invalid selector."""
    if not path:
        return [obj]
    if isinstance(obj, list):
        out: list[Any] = []
        for item in obj:
            out.extend(_resolve(item, path))
        return out
    if not isinstance(obj, dict):
        raise _fail(f'Selector "{".".join(path)}" is not valid')
    head = path[0]
    if head not in obj:
        if parent_is_map:
            return [None]
        raise _fail(f'Selector "{head}" is not valid')
    return _resolve(obj[head], path[1:], head in _MAP_FIELDS)


def _scalar_eq(field: Any, value: str) -> bool:
    if isinstance(field, bool):
        return str(field).lower() == value.lower()
    if isinstance(field, (int, float)):
        try:
            return float(value) == float(field)
        except ValueError:
            return False
    return field is not None and str(field) == value


def _build(path: list[str], op: str, value: str, negate: bool) -> Predicate:
    regex = None
    if op == "matches":
        try:
            regex = re.compile(value)
        except re.error as exc:
            raise _fail(f"invalid regular expression: {exc}") from None

    def test(field: Any) -> bool:
        if op == "==":
            return _scalar_eq(field, value)
        if op == "empty":
            return field is None or (hasattr(field, "__len__") and len(field) == 0)
        if op in ("in", "contains"):
            if isinstance(field, dict):
                return value in field
            if isinstance(field, list):
                return any(_scalar_eq(v, value) for v in field)
            return isinstance(field, str) and value in field
        assert regex is not None
        return isinstance(field, str) and regex.search(field) is not None

    def predicate(obj: Any) -> bool:
        values = _resolve(obj, path)
        result = any(test(v) for v in values) if values else op == "empty"
        return not result if negate else result

    return predicate


def compile_filter(expr: str) -> Predicate:
    """Compile a filter; the returned predicate may raise ApiError(400) for an invalid selector."""
    parser = _Parser(_tokenize(expr))
    return parser.parse()
