"""PAR Index points: conversions, a hand-computed ranking, classes, change and rank ranges."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from analysis.par import (
    Leaf,
    Scheme,
    SurveyInput,
    UnitScore,
    competition_ranks,
    compute,
    scheme_from_dict,
    survey_points,
)

CLASSES = [
    {"minimum": 90, "label": {"vi": "Tốt", "en": "Excellent"}},
    {"minimum": 80, "label": {"vi": "Khá", "en": "Good"}},
    {"minimum": 70, "label": {"vi": "Trung bình", "en": "Average"}},
    {"minimum": 0, "label": {"vi": "Yếu", "en": "Weak"}},
]


def _text(name: str) -> dict[str, str]:
    return {"vi": name, "en": name}


def _survey_node(code: str, points: float, conversion: dict[str, Any], **source: Any) -> Any:
    survey = {"audience": "citizen", "dimension": "access", "conversion": conversion, **source}
    return {
        "code": code,
        "title": _text(code),
        "max_points": points,
        "source": "survey",
        "survey": survey,
    }


def _appraisal_node(code: str, points: float) -> dict[str, Any]:
    return {"code": code, "title": _text(code), "max_points": points, "source": "appraisal"}


def _scheme() -> Scheme:
    """Area A (60) = A1 appraisal 40 + A2 survey 20 (linear); area B (40) = B1 appraisal 30 +
    B2 survey 10 (abcd on an official item)."""
    abcd = {"audience": "official", "dimension": "leadership", "item": "leadership_direction"}
    areas = [
        {
            "code": "A",
            "title": _text("A"),
            "max_points": 60,
            "children": [_appraisal_node("A1", 40), _survey_node("A2", 20, {"kind": "linear"})],
        },
        {
            "code": "B",
            "title": _text("B"),
            "max_points": 40,
            "children": [
                _appraisal_node("B1", 30),
                _survey_node("B2", 10, {"kind": "abcd"}, **abcd),
            ],
        },
    ]
    data = {
        "id": "hand",
        "group": "department",
        "title": _text("hand"),
        "classes": CLASSES,
        "areas": areas,
    }
    return scheme_from_dict(data)


def _leaf(conversion: dict[str, Any], points: float = 10, **source: Any) -> Leaf:
    data = {
        "id": "one",
        "group": "district",
        "title": _text("one"),
        "classes": [],
        "areas": [_survey_node("1", points, conversion, **source)],
    }
    return scheme_from_dict(data).leaves()[0]


def _exact(estimate: float) -> SurveyInput:
    return SurveyInput(estimate, 0.0, None)


# Hand-computed: A2 = 20 × est/100, B2 = 10 × est/100.
APPRAISAL = {
    "u1": {"A1": 40, "B1": 30},  # + 20 + 10 = 100
    "u2": {"A1": 35, "B1": 30},  # + 15 + 10 = 90 (class edge)
    "u3": {"A1": 30, "B1": 30},  # + 20 + 10 = 90 (tie with u2)
    "u4": {"A1": 40, "B1": 20},  # + 10 + 9 = 79
    "u5": {"A1": 40, "B1": 30},  # no survey: 70 (class edge), A2 and B2 missing
    "u6": {"A1": 40, "B1": 20},  # + 10 + 10 = 80 (class edge)
}
SURVEY = {
    "u1": {"A2": _exact(100), "B2": _exact(100)},
    "u2": {"A2": _exact(75), "B2": _exact(100)},
    "u3": {"A2": _exact(100), "B2": _exact(100)},
    "u4": {"A2": _exact(50), "B2": _exact(90)},
    "u6": {"A2": _exact(50), "B2": _exact(100)},
}


def _by_unit(scores: list[UnitScore]) -> dict[str, UnitScore]:
    return {s.unit: s for s in scores}


def test_linear_conversion_is_max_times_index_over_100() -> None:
    leaf = _leaf({"kind": "linear"}, points=20)
    assert survey_points(leaf, 62.5) == pytest.approx(12.5)
    assert survey_points(leaf, 0) == 0
    assert survey_points(leaf, 100) == pytest.approx(20)


def test_thresholds_take_the_share_of_the_first_band_reached() -> None:
    leaf = _leaf({"kind": "thresholds", "thresholds": [[90, 1.0], [80, 0.8], [0, 0.5]]})
    got = [survey_points(leaf, x) for x in (95, 90, 89.99, 80, 79.5, 0)]
    assert got == pytest.approx([10, 10, 8, 8, 5, 5])


def test_thresholds_below_every_band_earn_nothing() -> None:
    leaf = _leaf({"kind": "thresholds", "thresholds": [[70, 1.0], [50, 0.5]]})
    assert survey_points(leaf, 49.9) == 0
    assert survey_points(leaf, 50) == pytest.approx(5)


def test_abcd_gives_100_60_20_0_percent_of_the_maximum_by_answer_shares() -> None:
    """Shares A 50 %, B 25 %, C 25 %, D 0 %: the mean option score is 50 + 15 + 5 = 70, so
    10 × (0.5·100 % + 0.25·60 % + 0.25·20 %) = 7 points."""
    leaf = _leaf({"kind": "abcd"}, points=10, item="leadership_direction")
    mean_score = 0.5 * 100 + 0.25 * 60 + 0.25 * 20 + 0 * 0
    assert survey_points(leaf, mean_score) == pytest.approx(7.0)
    assert survey_points(leaf, 60) == pytest.approx(6.0)


def test_sub_index_outside_0_100_is_refused() -> None:
    with pytest.raises(ValueError, match="outside 0–100"):
        survey_points(_leaf({"kind": "linear"}), 100.5)


def test_hand_computed_totals_index_and_area_breakdown() -> None:
    scores = _by_unit(compute(_scheme(), APPRAISAL, SURVEY))
    u2 = scores["u2"]
    assert (u2.appraisal, u2.survey, u2.total, u2.maximum) == pytest.approx((65, 25, 90, 100))
    assert u2.index == pytest.approx(90)
    u4 = scores["u4"]
    assert u4.total == pytest.approx(79)
    assert u4.areas == {"A": pytest.approx((50, 60)), "B": pytest.approx((29, 40))}
    assert u4.missing == ()


def test_ties_share_the_best_rank_and_the_next_rank_is_skipped() -> None:
    scores = compute(_scheme(), APPRAISAL, SURVEY)
    assert [(s.unit, s.rank) for s in scores] == [
        ("u1", 1),
        ("u2", 2),
        ("u3", 2),
        ("u6", 4),
        ("u4", 5),
        ("u5", 6),
    ]


def test_classes_at_band_edges_belong_to_the_higher_band() -> None:
    scores = _by_unit(compute(_scheme(), APPRAISAL, SURVEY))
    labels = {unit: s.class_label["vi"] if s.class_label else None for unit, s in scores.items()}
    assert labels == {
        "u1": "Tốt",
        "u2": "Tốt",
        "u3": "Tốt",
        "u6": "Khá",
        "u4": "Trung bình",
        "u5": "Trung bình",
    }


def test_no_class_below_the_lowest_band() -> None:
    scheme = _scheme().model_copy(update={"classes": _scheme().classes[:1]})
    scores = _by_unit(compute(scheme, APPRAISAL, SURVEY))
    assert scores["u6"].class_label is None
    assert scores["u1"].class_label == {"vi": "Tốt", "en": "Excellent"}


def test_missing_sub_criteria_score_zero_and_are_listed() -> None:
    scores = _by_unit(compute(_scheme(), APPRAISAL, SURVEY))
    assert scores["u5"].missing == ("A2", "B2")
    assert scores["u5"].survey == 0 and scores["u5"].total == pytest.approx(70)
    only_survey = _by_unit(compute(_scheme(), {}, {"x": {"A2": _exact(50)}}))["x"]
    assert only_survey.missing == ("A1", "B1", "B2")
    assert only_survey.total == pytest.approx(10)


def test_year_over_year_change_is_index_minus_last_years_index() -> None:
    scores = _by_unit(compute(_scheme(), APPRAISAL, SURVEY, previous={"u1": 95.5, "u4": 81}))
    assert scores["u1"].change == pytest.approx(4.5)
    assert scores["u4"].change == pytest.approx(-2)
    assert scores["u3"].change is None


def test_points_outside_0_and_the_maximum_are_refused_naming_unit_and_code() -> None:
    with pytest.raises(ValueError, match=r"unit u9, criterion A1: 41 points lie outside 0–40"):
        compute(_scheme(), {"u9": {"A1": 41}}, {})
    with pytest.raises(ValueError, match=r"unit u9, criterion B1: -1 points"):
        compute(_scheme(), {"u9": {"B1": -1}}, {})


def test_points_for_unknown_or_survey_sub_criteria_are_refused() -> None:
    with pytest.raises(ValueError, match="unit u9: the scheme has no sub-criterion 'C1'"):
        compute(_scheme(), {"u9": {"C1": 1}}, {})
    with pytest.raises(ValueError, match="unit u9, criterion A2: a survey sub-criterion"):
        compute(_scheme(), {"u9": {"A2": 1}}, {})


def test_competition_ranks_compare_indices_rounded_to_1e_9() -> None:
    ranks = competition_ranks(np.array([70.0, 90.0, 90.0 + 1e-12, 80.0]))
    assert ranks.tolist() == [4, 1, 1, 3]


def test_rank_range_collapses_to_the_point_rank_when_ses_are_zero() -> None:
    for s in compute(_scheme(), APPRAISAL, SURVEY):
        assert (s.rank_low, s.rank_high) == (s.rank, s.rank)


def _close(se: float, df: int | None = None) -> dict[str, dict[str, SurveyInput]]:
    """u_a and u_b 0.5 index point apart; u_c far below with a tiny SE."""
    return {
        "u_a": {"A2": SurveyInput(80.0, se, df)},
        "u_b": {"A2": SurveyInput(77.5, se, df)},
        "u_c": {"A2": SurveyInput(20.0, 0.1, df)},
    }


def test_rank_range_widens_for_close_units_with_big_ses() -> None:
    scores = _by_unit(compute(_scheme(), {}, _close(se=10.0)))
    assert (scores["u_a"].rank, scores["u_a"].rank_low, scores["u_a"].rank_high) == (1, 1, 2)
    assert (scores["u_b"].rank, scores["u_b"].rank_low, scores["u_b"].rank_high) == (2, 1, 2)
    assert (scores["u_c"].rank_low, scores["u_c"].rank_high) == (3, 3)


def test_rank_range_stays_narrow_for_close_units_with_small_ses() -> None:
    scores = _by_unit(compute(_scheme(), {}, _close(se=0.01)))
    assert [(s.rank_low, s.rank_high) for s in scores.values()] == [(1, 1), (2, 2), (3, 3)]


def test_rank_range_always_contains_the_point_rank() -> None:
    rng = np.random.default_rng(7)
    survey = {f"u{k}": {"A2": SurveyInput(float(rng.uniform(40, 90)), 8.0, 25)} for k in range(12)}
    appraisal = {unit: {"A1": float(rng.uniform(20, 40))} for unit in survey}
    scores = compute(_scheme(), appraisal, survey, simulations=500, coverage=0.5)
    assert all(s.rank_low <= s.rank <= s.rank_high for s in scores)
    assert any(s.rank_high > s.rank_low for s in scores)


def test_rank_ranges_are_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(3)
    survey = {f"u{k}": {"A2": SurveyInput(float(rng.uniform(60, 70)), 6.0, 10)} for k in range(8)}
    first = compute(_scheme(), {}, survey, seed=11)
    assert first == compute(_scheme(), {}, survey, seed=11)
    ranges = {
        seed: [
            (s.rank_low, s.rank_high)
            for s in compute(_scheme(), {}, survey, seed=seed, coverage=0.5)
        ]
        for seed in range(5)
    }
    assert len({tuple(r) for r in ranges.values()}) > 1  # the seed does drive the draws


def test_without_simulations_the_range_is_the_point_rank() -> None:
    scores = compute(_scheme(), {}, _close(se=10.0), simulations=0)
    assert [(s.rank_low, s.rank, s.rank_high) for s in scores] == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]


def test_bad_simulation_settings_and_no_units() -> None:
    with pytest.raises(ValueError, match="coverage"):
        compute(_scheme(), APPRAISAL, SURVEY, coverage=1.0)
    assert compute(_scheme(), {}, {}) == []
