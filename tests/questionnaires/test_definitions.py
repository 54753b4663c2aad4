"""Questionnaire definitions: the shipped citizen form, clear errors, content hashes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import questionnaires as qn

SIPAS_ELEMENTS = {"access", "procedures", "civil_servants", "results", "feedback"}


def _citizen_data() -> dict[str, Any]:
    return qn.builtin_definition("citizen").model_dump(mode="json", exclude_none=True)


def test_citizen_questionnaire_covers_sipas_and_overall_satisfaction() -> None:
    q = qn.builtin_definition("citizen")
    assert q.audience is qn.Audience.CITIZEN
    fed = {item.dimension for item in q.items if item.type is qn.ItemType.SCALE5}
    assert SIPAS_ELEMENTS | {"overall"} <= fed
    for element in SIPAS_ELEMENTS:
        items = [i for i in q.items if i.dimension == element]
        assert len(items) >= 2, element
        assert all(i.required for i in items), element
    overall = q.item("overall_satisfaction")
    assert overall.required and overall.type is qn.ItemType.SCALE5
    assert [o.vi for o in q.choices(overall)][0] == "Rất không hài lòng"


def test_every_text_has_vietnamese_and_english() -> None:
    q = qn.builtin_definition("citizen")
    for item in q.items:
        assert item.text.vi.strip() and item.text.en.strip()
        assert item.text.vi != item.text.en


def test_demographics_are_optional() -> None:
    q = qn.builtin_definition("citizen")
    for item_id in ("age_band", "sex", "occupation"):
        assert not q.item(item_id).required


def test_content_hash_is_stable_and_follows_content() -> None:
    data = _citizen_data()
    first = qn.content_hash(qn.parse_definition(data))
    assert first == qn.content_hash(qn.parse_definition(copy.deepcopy(data)))
    assert len(first) == 64
    data["sections"][0]["items"][0]["text"]["en"] += " (revised)"
    assert qn.content_hash(qn.parse_definition(data)) != first


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["sections"][1]["items"].append(d["sections"][0]["items"][0]),
            "duplicate item id 'access_information'",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(dimension="speed"),
            "unknown dimension 'speed'",
        ),
        (
            lambda d: d["sections"][0]["items"][0].pop("scale"),
            "'scale' is required for scale5 items",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(colour="red"),
            "Extra inputs are not permitted",
        ),
        (lambda d: d.update(audience="tourist"), "audience"),
        (lambda d: d["sections"][0]["items"][0].update(id="Bad Id"), "String should match"),
    ],
)
def test_broken_definitions_are_refused_with_the_reason(change: Any, expected: str) -> None:
    data = _citizen_data()
    change(data)
    with pytest.raises(qn.DefinitionError) as caught:
        qn.parse_definition(data, source="test.yaml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("test.yaml: ")


def test_invalid_yaml_file_is_a_definition_error(tmp_path: Any) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(qn.DefinitionError, match="not valid YAML"):
        qn.load_file(path)
