"""Property tests: valid answer sets pass, invalid ones fail at their item, nothing crashes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import questionnaires as qn

DEFINITIONS = ["citizen", "business", "official"]
QUESTIONNAIRES = {name: qn.builtin_definition(name) for name in DEFINITIONS}
CONTEXTS = st.fixed_dictionaries({"unit_group": st.sampled_from(["district", "department"])})
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def valid_value(q: qn.Questionnaire, item: qn.Item) -> st.SearchStrategy[Any]:
    """Any acceptable answer to ``item``."""
    values = [o.value for o in q.choices(item)] + (["na"] if item.not_applicable else [])
    match item.type:
        case qn.ItemType.MULTIPLE_CHOICE:
            return st.lists(st.sampled_from(values), min_size=1, unique=True)
        case qn.ItemType.INTEGER:
            return st.integers(
                item.min if item.min is not None else -(10**6),
                item.max if item.max is not None else 10**6,
            )
        case qn.ItemType.TEXT:
            return st.text(
                st.characters(categories=("L", "N", "P", "Zs")),
                min_size=1,
                max_size=item.max_length or 200,
            ).filter(str.strip)
        case qn.ItemType.DATE:
            return st.dates().map(lambda d: d.isoformat())
    return st.sampled_from(values)


def invalid_value(q: qn.Questionnaire, item: qn.Item) -> st.SearchStrategy[Any]:
    """An answer ``item`` must refuse."""
    match item.type:
        case qn.ItemType.MULTIPLE_CHOICE:
            return st.just(["not-an-option"])
        case qn.ItemType.INTEGER:
            return st.sampled_from(["many", 2.5] + ([item.max + 1] if item.max is not None else []))
        case qn.ItemType.TEXT:
            return st.just("x" * ((item.max_length or 10_000) + 1))
        case qn.ItemType.DATE:
            return st.sampled_from(["31/12/2025", "2025-02-30", "yesterday"])
    return st.sampled_from(["not-an-option", 99, "na" if not item.not_applicable else -1])


@st.composite
def answer_sets(draw: st.DrawFn, name: str) -> dict[str, Any]:
    q = QUESTIONNAIRES[name]
    answers: dict[str, Any] = {}
    for item in q.items:
        if item.required or draw(st.booleans()):
            answers[item.id] = draw(valid_value(q, item))
    return answers


@pytest.mark.parametrize("name", DEFINITIONS)
@FAST
@given(data=st.data(), context=CONTEXTS)
def test_valid_answer_sets_are_accepted(name: str, data: st.DataObject, context: Any) -> None:
    q = QUESTIONNAIRES[name]
    raw = data.draw(answer_sets(name))
    clean = qn.validate_answers(q, raw, context)
    asked = {item.id for item in qn.asked_items(q, raw, context)}
    assert set(clean) <= asked and set(clean) <= set(raw)
    for item_id, value in clean.items():
        original = raw[item_id]
        assert value == (original.strip() if isinstance(original, str) else original)


@pytest.mark.parametrize("name", DEFINITIONS)
@FAST
@given(data=st.data(), context=CONTEXTS)
def test_an_invalid_answer_is_refused_at_its_item(
    name: str, data: st.DataObject, context: Any
) -> None:
    q = QUESTIONNAIRES[name]
    raw = data.draw(answer_sets(name))
    item = data.draw(st.sampled_from(q.items))
    raw[item.id] = data.draw(invalid_value(q, item))
    asked = {i.id for i in qn.asked_items(q, raw, context)}
    if item.id not in asked:
        assert item.id not in qn.validate_answers(q, raw, context)
        return
    with pytest.raises(qn.AnswersInvalid) as caught:
        qn.validate_answers(q, raw, context)
    assert [e.item_id for e in caught.value.errors] == [item.id]
    assert caught.value.by_item("en")[item.id]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("name", DEFINITIONS)
@FAST
@given(raw=st.dictionaries(st.text(max_size=30), json_values, max_size=8), context=CONTEXTS)
def test_arbitrary_input_never_crashes(name: str, raw: dict[str, Any], context: Any) -> None:
    q = QUESTIONNAIRES[name]
    item_ids = [i.id for i in q.items]
    raw = raw | {item_ids[len(raw) % len(item_ids)]: raw.get("x", 3)}
    try:
        qn.validate_answers(q, raw, context)
    except qn.AnswersInvalid as exc:
        assert exc.errors and all(e.message("vi") and e.message("en") for e in exc.errors)
