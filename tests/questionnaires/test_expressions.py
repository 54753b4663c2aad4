"""The skip-logic expression language: parsing, evaluation, clean refusal of bad input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires import expressions as ex

VALUES: dict[str, Any] = {"a": "yes", "n": 3, "m": ["x", "y"], "empty": None, "s": "na"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${a} = 'yes'", True),
        ("${a} != 'yes'", False),
        ("${n} > 2", True),
        ("${n} >= 3 and ${n} <= 3", True),
        ("${n} < 2 or ${a} = 'yes'", True),
        ("not(${a} = 'yes')", False),
        ("selected(${m}, 'y')", True),
        ("selected(${m}, 'z')", False),
        ("count-selected(${m}) = 2", True),
        ("${empty} = ''", True),
        ("${missing} = ''", True),
        ("${empty} > 0", False),
        ("${s} > 2", False),
        ("${n} = '3'", True),
        ("(${n} > 5 or ${a} = 'yes') and not(selected(${m}, 'z'))", True),
        ("true()", True),
        ("false() or ${n} = 3.0", True),
        ("${unit_group} = 'district'", False),
    ],
)
def test_evaluation_follows_xpath(text: str, expected: bool) -> None:
    assert ex.evaluate(ex.parse(text), VALUES) is expected


def test_references_in_order() -> None:
    parsed = ex.parse("${b} = 1 and selected(${c}, 'x') or count-selected(${b}) > 0")
    assert ex.references(parsed) == ["b", "c", "b"]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty expression", 0),
        ("${a} =", "expected a value, found the end", 6),
        ("${a} = 'x' and", "expected a value, found the end", 14),
        ("foo(${a})", "unknown function or word 'foo'", 0),
        ("${a} = 'unterminated", "unexpected character", 7),
        ("${a} = 1)", "unexpected ')'", 8),
        ("selected(${a})", "expected ',', found ')'", 13),
        ("selected('a', 'b')", "expected ref", 9),
        ("${a} == 1", "expected a value", 6),
        ("${a b}", "unexpected character", 0),
    ],
)
def test_bad_expressions_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(ex.ExpressionError) as caught:
        ex.parse(text)
    assert message in caught.value.message
    assert caught.value.position == position


def test_very_long_expressions_are_refused() -> None:
    with pytest.raises(ex.ExpressionError, match="longer than"):
        ex.parse("${a} = 1 or " * 300 + "${a} = 2")


def test_json_form_keeps_the_structure() -> None:
    parsed = ex.parse("${a} = 'yes' and not(selected(${m}, 'x'))")
    assert ex.to_json(parsed) == [
        "and",
        ["cmp", "=", ["ref", "a"], ["lit", "yes"]],
        ["not", ["sel", "m", "x"]],
    ]


@given(st.text(max_size=80))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        parsed = ex.parse(text)
    except ex.ExpressionError as exc:
        assert 0 <= exc.position <= len(text)
        return
    assert isinstance(ex.evaluate(parsed, VALUES), bool)


names = st.sampled_from(["a", "n", "m", "empty"])
literals = st.one_of(st.integers(-5, 5).map(str), st.sampled_from(["'yes'", "'no'", "'x'", "''"]))
atoms = st.one_of(
    st.builds(
        lambda n, op, v: f"${{{n}}} {op} {v}",
        names,
        st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
        literals,
    ),
    st.builds(lambda n, v: f"selected(${{{n}}}, {v})", names, literals.filter(lambda s: "'" in s)),
)
trees = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not({a})", inner),
    ),
    max_leaves=8,
)


@given(trees)
def test_generated_expressions_parse_and_not_is_a_negation(text: str) -> None:
    parsed = ex.parse(text)
    negated = ex.parse(f"not({text})")
    assert ex.evaluate(negated, VALUES) is (not ex.evaluate(parsed, VALUES))
