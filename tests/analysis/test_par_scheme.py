"""PAR Index schemes: structure, checks with YAML lines, versions and the shipped examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analysis.par import (
    Problem,
    Scheme,
    SchemeError,
    builtin_scheme,
    check_scheme,
    check_scheme_file,
    content_hash,
    load_scheme,
    scheme_from_dict,
)
from questionnaires import builtin_definition

# Line numbers below are those of this text (line 1 is "id: small").
SMALL = """\
id: small
group: department
title: {vi: "Thử nghiệm", en: "Test"}
classes:
  - {minimum: 90, label: {vi: "Tốt", en: "Excellent"}}
  - {minimum: 0, label: {vi: "Yếu", en: "Weak"}}
areas:
  - code: "A"
    title: {vi: "Lĩnh vực A", en: "Area A"}
    max_points: 60
    children:
      - {code: "A1", title: {vi: "a1", en: "a1"}, max_points: 40, source: appraisal}
      - code: "A2"
        title: {vi: "a2", en: "a2"}
        max_points: 20
        source: survey
        survey:
          audience: citizen
          dimension: access
          conversion: {kind: thresholds, thresholds: [[90, 1.0], [80, 0.8], [0, 0.5]]}
  - code: "B"
    title: {vi: "Lĩnh vực B", en: "Area B"}
    max_points: 40
    children:
      - {code: "B1", title: {vi: "b1", en: "b1"}, max_points: 30, source: appraisal}
      - code: "B2"
        title: {vi: "b2", en: "b2"}
        max_points: 10
        source: survey
        survey: {audience: official, dimension: leadership, item: leadership_direction,
                 conversion: {kind: abcd}}
"""

KNOWN = {"citizen": {"access", "procedures"}, "official": {"leadership", "leadership_direction"}}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str) -> str:
    assert SMALL.count(old) == 1, old
    return SMALL.replace(old, new)


def _problems(tmp_path: Path, text: str, known: Any = None) -> list[tuple[int | None, str]]:
    return [(p.line, str(p)) for p in check_scheme_file(_write(tmp_path, text), known)]


def _known_subindices() -> dict[str, set[str]]:
    """Dimension and item ids of the built-in questionnaires, as the CLI passes them."""
    known: dict[str, set[str]] = {}
    for audience in ("citizen", "business", "official"):
        q = builtin_definition(audience)
        known[audience] = {d.id for d in q.dimensions} | {i.id for i in q.items}
    return known


def test_small_scheme_is_valid_and_lists_its_leaves_in_order(tmp_path: Path) -> None:
    assert check_scheme_file(_write(tmp_path, SMALL), KNOWN) == []
    scheme = load_scheme(_write(tmp_path, SMALL))
    assert [leaf.code for leaf in scheme.leaves()] == ["A1", "A2", "B1", "B2"]
    assert [leaf.source for leaf in scheme.leaves()] == ["appraisal", "survey"] * 2
    assert scheme.leaves()[3].area_code == "B"
    assert scheme.leaves()[3].path == ("B", "B2")
    assert scheme.maximum == 100.0


def test_children_not_adding_up_to_the_parent_are_reported_at_the_parents_points(
    tmp_path: Path,
) -> None:
    text = _edit("max_points: 40, source: appraisal", "max_points: 35, source: appraisal")
    assert _problems(tmp_path, text) == [
        (10, "areas[0].max_points: the children of 'A' add up to 55 points, not 60")
    ]


def test_duplicate_codes_are_reported_where_they_repeat(tmp_path: Path) -> None:
    text = _edit('{code: "B1"', '{code: "A1"')
    assert _problems(tmp_path, text) == [
        (25, "areas[1].children[0].code: duplicate code 'A1' (first at areas[0].children[0])")
    ]


def test_unknown_sub_index_is_reported_only_against_known_ids(tmp_path: Path) -> None:
    text = _edit("dimension: access", "dimension: acces")
    assert _problems(tmp_path, text) == []
    assert _problems(tmp_path, text, KNOWN) == [
        (
            19,
            "areas[0].children[1].survey.dimension: unknown sub-index: "
            "the citizen survey has no dimension 'acces'",
        )
    ]
    item = _edit("item: leadership_direction", "item: leadership_plan")
    assert [line for line, _ in _problems(tmp_path, item, KNOWN)] == [30]


def test_overall_index_is_always_a_known_sub_index(tmp_path: Path) -> None:
    text = _edit("dimension: access", "dimension: index")
    assert _problems(tmp_path, text, KNOWN) == []


def test_thresholds_must_descend_and_shares_lie_between_0_and_1(tmp_path: Path) -> None:
    text = _edit("[[90, 1.0], [80, 0.8], [0, 0.5]]", "[[80, 1.0], [90, 1.2], [0, 0.5]]")
    assert _problems(tmp_path, text) == [
        (20, "areas[0].children[1].survey.conversion.thresholds[1]: share 1.2 lies outside 0–1"),
        (
            20,
            "areas[0].children[1].survey.conversion.thresholds[1]: "
            "thresholds must be listed highest minimum index first",
        ),
    ]


def test_thresholds_kind_needs_thresholds_and_other_kinds_take_none(tmp_path: Path) -> None:
    missing = _edit(
        "{kind: thresholds, thresholds: [[90, 1.0], [80, 0.8], [0, 0.5]]}", "{kind: thresholds}"
    )
    assert [what for _, what in _problems(tmp_path, missing)] == [
        "areas[0].children[1].survey.conversion.thresholds: "
        "a thresholds conversion needs (min_index, share) pairs, highest first"
    ]
    linear = _edit("{kind: thresholds, thresholds:", "{kind: linear, thresholds:")
    assert [what for _, what in _problems(tmp_path, linear)] == [
        "areas[0].children[1].survey.conversion.thresholds: a linear conversion takes no thresholds"
    ]


def test_abcd_needs_one_item_and_the_score_measure(tmp_path: Path) -> None:
    text = _edit("item: leadership_direction,\n", "\n")
    assert _problems(tmp_path, text) == [
        (
            31,
            "areas[1].children[1].survey.conversion: "
            "abcd converts the score of one A/B/C/D item: give item, measure score",
        )
    ]


def test_leaf_without_source_is_reported_at_the_leaf(tmp_path: Path) -> None:
    text = _edit("max_points: 30, source: appraisal}", "max_points: 30}")
    assert _problems(tmp_path, text) == [
        (25, "areas[1].children[0]: leaf 'B1' needs a source: appraisal or survey")
    ]


def test_source_on_a_parent_and_survey_blocks_must_match_the_source(tmp_path: Path) -> None:
    parent = _edit("    max_points: 60\n", "    max_points: 60\n    source: appraisal\n")
    assert _problems(tmp_path, parent) == [
        (11, "areas[0].source: only a leaf (a node without children) has a source")
    ]
    appraisal = _edit(
        "        source: survey\n        survey: {audience: official",
        "        source: appraisal\n        survey: {audience: official",
    )
    assert _problems(tmp_path, appraisal) == [
        (30, "areas[1].children[1].survey: an appraisal sub-criterion takes no survey: block")
    ]
    bare = _edit(
        "        survey: {audience: official, dimension: leadership, item: leadership_direction,\n"
        "                 conversion: {kind: abcd}}\n",
        "",
    )
    assert _problems(tmp_path, bare) == [
        (29, "areas[1].children[1].source: a survey source needs a survey: block")
    ]


def test_unknown_keys_and_non_positive_points_are_reported(tmp_path: Path) -> None:
    text = _edit(
        "max_points: 30, source: appraisal}", "max_points: 30, source: appraisal, weight: 2}"
    )
    assert _problems(tmp_path, text) == [(25, "areas[1].children[0].weight: unknown key")]
    zero = _edit("    max_points: 40\n", "    max_points: 0\n")
    zero = zero.replace("max_points: 30,", "max_points: 0,").replace(
        "max_points: 10\n", "max_points: 0\n"
    )
    assert _problems(tmp_path, zero) == [
        (23, "areas[1].max_points: max_points must be more than 0"),
        (25, "areas[1].children[0].max_points: max_points must be more than 0"),
        (28, "areas[1].children[1].max_points: max_points must be more than 0"),
    ]


def test_class_bands_must_descend_and_have_both_languages(tmp_path: Path) -> None:
    text = _edit(
        '{minimum: 0, label: {vi: "Yếu", en: "Weak"}}', '{minimum: 95, label: {vi: "Yếu"}}'
    )
    assert _problems(tmp_path, text) == [
        (6, "classes[1].minimum: classes must be listed highest minimum first"),
        (6, "classes[1].label: the English (en) text is missing"),
    ]


def test_unquoted_numeric_code_gets_a_hint(tmp_path: Path) -> None:
    text = _edit('code: "A"\n', "code: 1.1\n")
    assert _problems(tmp_path, text) == [
        (8, 'areas[0].code: a code is text: write it in quotes ("1.1"), or YAML reads a number')
    ]


def test_invalid_yaml_and_non_mapping_files_are_problems_not_crashes(tmp_path: Path) -> None:
    assert _problems(tmp_path, "id: [unclosed\n")[0][0] == 2
    assert _problems(tmp_path, "- 1\n") == [
        (1, "(top): the file must hold a mapping (id, group, title, …)")
    ]


def test_loading_a_bad_scheme_raises_with_every_problem(tmp_path: Path) -> None:
    text = _edit('{code: "B1"', '{code: "A1"').replace("max_points: 30,", "max_points: 25,")
    with pytest.raises(SchemeError) as raised:
        load_scheme(_write(tmp_path, text))
    assert [p.line for p in raised.value.problems] == [23, 25]
    assert raised.value.problems[0].located("s.yaml") == (
        "s.yaml:23: areas[1].max_points: the children of 'B' add up to 35 points, not 40"
    )


def test_scheme_from_dict_and_direct_construction_run_the_same_checks() -> None:
    data = {
        "id": "tiny",
        "group": "district",
        "title": {"vi": "x", "en": "x"},
        "classes": [],
        "areas": [{"code": "1", "title": {"vi": "x", "en": "x"}, "max_points": 5}],
    }
    with pytest.raises(SchemeError) as raised:
        scheme_from_dict(data)
    assert raised.value.problems == [
        Problem(None, "areas[0]", "leaf '1' needs a source: appraisal or survey")
    ]
    with pytest.raises(ValueError, match="leaf '1' needs a source"):
        Scheme.model_validate(data)
    assert check_scheme({**data, "areas": [{**data["areas"][0], "source": "appraisal"}]}) == []


def test_content_hash_is_stable_and_changes_with_the_points(tmp_path: Path) -> None:
    first = content_hash(load_scheme(_write(tmp_path, SMALL)))
    assert first == content_hash(load_scheme(_write(tmp_path, "# comment\n" + SMALL)))
    changed = _edit("[0, 0.5]]", "[0, 0.4]]")
    assert content_hash(load_scheme(_write(tmp_path, changed))) != first
    assert len(first) == 64


@pytest.mark.parametrize("group", ["department", "district"])
def test_shipped_example_checks_clean_against_the_real_questionnaires(group: str) -> None:
    path = Path(__file__).resolve().parents[2] / "analysis" / "par" / "schemes" / f"{group}.yaml"
    assert check_scheme_file(path, _known_subindices()) == []
    assert path.read_text(encoding="utf-8").startswith("# EDITABLE EXAMPLE")


@pytest.mark.parametrize("group", ["department", "district"])
def test_shipped_example_has_the_8_areas_100_points_and_every_conversion(group: str) -> None:
    scheme = builtin_scheme(group)
    assert scheme.group == group and scheme.example
    assert len(scheme.areas) == 8 and scheme.maximum == pytest.approx(100)
    assert all(1 <= len(area.children) <= 3 for area in scheme.areas)
    kinds = {leaf.survey.conversion.kind for leaf in scheme.leaves() if leaf.survey is not None}
    assert kinds == {"linear", "thresholds", "abcd"}
    assert [band.label["vi"] for band in scheme.classes] == ["Tốt", "Khá", "Trung bình", "Yếu"]


def test_abcd_sources_in_the_examples_are_items_scored_100_60_20_0() -> None:
    official = builtin_definition("official")
    for group in ("department", "district"):
        for leaf in builtin_scheme(group).leaves():
            if leaf.survey is not None and leaf.survey.conversion.kind == "abcd":
                assert leaf.survey.item is not None
                item = official.item(leaf.survey.item)
                assert [o.score for o in item.options] == [100, 60, 20, 0]


def test_district_example_uses_land_access_which_only_districts_are_asked() -> None:
    def dimensions(group: str) -> set[str]:
        return {leaf.survey.dimension for leaf in builtin_scheme(group).leaves() if leaf.survey}

    assert "land_access" in dimensions("district")
    assert "land_access" not in dimensions("department")


def test_builtin_scheme_refuses_unknown_groups() -> None:
    with pytest.raises(ValueError, match="no built-in scheme for group 'ward'"):
        builtin_scheme("ward")
