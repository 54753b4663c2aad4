"""Skip logic: a small expression language in XLSForm syntax, parsed here and never ``eval``-ed.

Grammar (``relevant`` columns of XLSForm / ODK)::

    expr    := and_ ("or" and_)*
    and_    := compare ("and" compare)*
    compare := primary (("=" | "!=" | "<" | "<=" | ">" | ">=") primary)?
    primary := NUMBER | STRING | "${" NAME "}" | "(" expr ")"
             | "not" "(" expr ")" | "selected" "(" REF "," STRING ")"
             | "count-selected" "(" REF ")" | "true" "(" ")" | "false" "(" ")"

Values follow XPath: an unanswered item is the empty string; a multiple choice is its values
joined by spaces; ``<``/``>`` compare numbers only (a non-number makes them false).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Compare",
    "CountSelected",
    "Expression",
    "ExpressionError",
    "Literal",
    "Logical",
    "Not",
    "Ref",
    "Selected",
    "evaluate",
    "parse",
    "references",
    "to_json",
]


class ExpressionError(ValueError):
    """An expression that cannot be parsed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{message} (at character {position + 1})")


@dataclass(frozen=True)
class Literal:
    value: str | float | bool


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Compare:
    op: str
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Not:
    operand: Expression


@dataclass(frozen=True)
class Selected:
    ref: Ref
    value: str


@dataclass(frozen=True)
class CountSelected:
    ref: Ref


Expression = Literal | Ref | Compare | Logical | Not | Selected | CountSelected

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)
MAX_LENGTH = 2000


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            start = len(text) - len(text[position:].lstrip())
            raise ExpressionError(f"unexpected character {text[start]!r}", start)
        kind = match.lastgroup if match.lastgroup != "name" else "ref"
        assert kind is not None
        start = match.start(kind)
        value = match.group("name") if kind == "ref" else match.group(kind)
        tokens.append(_Token(kind, value, start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token.kind != kind or (text is not None and token.text != text):
            wanted = repr(text) if text else kind
            found = repr(token.text) if token.text else "the end"
            raise ExpressionError(f"expected {wanted}, found {found}", token.position)
        self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (text is None or token.text == text)

    def expression(self) -> Expression:
        operands = [self.conjunction()]
        while self.at("word", "or"):
            self.index += 1
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def conjunction(self) -> Expression:
        operands = [self.comparison()]
        while self.at("word", "and"):
            self.index += 1
            operands.append(self.comparison())
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def comparison(self) -> Expression:
        left = self.primary()
        if self.at("op"):
            op = self.take("op").text
            return Compare(op, left, self.primary())
        return left

    def primary(self) -> Expression:
        token = self.peek()
        if token.kind == "number":
            self.index += 1
            return Literal(float(token.text))
        if token.kind == "string":
            self.index += 1
            return Literal(token.text[1:-1])
        if token.kind == "ref":
            self.index += 1
            return Ref(token.text)
        if token.kind == "punct" and token.text == "(":
            self.index += 1
            inner = self.expression()
            self.take("punct", ")")
            return inner
        if token.kind == "word":
            return self.function(token)
        found = repr(token.text) if token.text else "the end"
        raise ExpressionError(f"expected a value, found {found}", token.position)

    def function(self, token: _Token) -> Expression:
        name = token.text
        self.index += 1
        if name not in ("not", "selected", "count-selected", "true", "false"):
            raise ExpressionError(f"unknown function or word {name!r}", token.position)
        self.take("punct", "(")
        result: Expression
        if name == "not":
            result = Not(self.expression())
        elif name == "selected":
            ref = Ref(self.take("ref").text)
            self.take("punct", ",")
            result = Selected(ref, self.take("string").text[1:-1])
        elif name == "count-selected":
            result = CountSelected(Ref(self.take("ref").text))
        else:
            result = Literal(name == "true")
        self.take("punct", ")")
        return result


def parse(text: str) -> Expression:
    """Parse ``text``; raise :class:`ExpressionError` saying where and why it is wrong."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("empty expression", 0)
    parser = _Parser(text)
    result = parser.expression()
    if not parser.at("end"):
        token = parser.peek()
        raise ExpressionError(f"unexpected {token.text!r}", token.position)
    return result


def references(expression: Expression) -> list[str]:
    """The names ``${…}`` that ``expression`` refers to, in order of appearance."""
    match expression:
        case Ref(name):
            return [name]
        case Compare(_, left, right):
            return references(left) + references(right)
        case Logical(_, operands):
            return [name for operand in operands for name in references(operand)]
        case Not(operand):
            return references(operand)
        case Selected(ref, _) | CountSelected(ref):
            return [ref.name]
    return []


def _value(answer: Any) -> str | float:
    if answer is None:
        return ""
    if isinstance(answer, bool):
        return "true" if answer else "false"
    if isinstance(answer, int | float):
        return float(answer)
    if isinstance(answer, list | tuple):
        return " ".join(str(v) for v in answer)
    return str(answer)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    try:
        return float(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0
    return str(value) != ""


def _compare(op: str, left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if op in ("=", "!="):
        same = a == b if a is not None and b is not None else str(left) == str(right)
        return same if op == "=" else not same
    if a is None or b is None:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _eval(expression: Expression, values: Mapping[str, Any]) -> Any:
    match expression:
        case Literal(value):
            return value
        case Ref(name):
            return _value(values.get(name))
        case Compare(op, left, right):
            return _compare(op, _text(_eval(left, values)), _text(_eval(right, values)))
        case Logical("and", operands):
            return all(_truthy(_eval(o, values)) for o in operands)
        case Logical(_, operands):
            return any(_truthy(_eval(o, values)) for o in operands)
        case Not(operand):
            return not _truthy(_eval(operand, values))
        case Selected(ref, value):
            answer = values.get(ref.name)
            chosen = answer if isinstance(answer, list | tuple) else [answer]
            return value in [str(v) for v in chosen if v is not None]
        case CountSelected(ref):
            answer = values.get(ref.name)
            return float(len(answer)) if isinstance(answer, list | tuple) else 0.0
    raise TypeError(f"not an expression: {expression!r}")


def evaluate(expression: Expression, values: Mapping[str, Any]) -> bool:
    """Whether ``expression`` holds for ``values`` (name → answer; missing names are empty)."""
    return _truthy(_eval(expression, values))


def to_json(expression: Expression) -> Any:
    """A JSON-able form of the parsed expression, for the browser's evaluator (static/form.js)."""
    match expression:
        case Literal(value):
            return ["lit", value]
        case Ref(name):
            return ["ref", name]
        case Compare(op, left, right):
            return ["cmp", op, to_json(left), to_json(right)]
        case Logical(op, operands):
            return [op, *[to_json(o) for o in operands]]
        case Not(operand):
            return ["not", to_json(operand)]
        case Selected(ref, value):
            return ["sel", ref.name, value]
        case CountSelected(ref):
            return ["cnt", ref.name]
    raise TypeError(f"not an expression: {expression!r}")
