"""Satisfaction sub-indices: item rescaling, respondent scores, overall index, flags."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis
from analysis.indices import (
    OVERALL,
    IndexRow,
    IndexSettings,
    ItemScale,
    dimension_scores,
    rescale,
    satisfaction_indices,
)

ITEMS = [
    ItemScale("a1", "access", 1, 5, 4),
    ItemScale("a2", "access", 1, 5, 4),
    ItemScale("s1", "staff", 1, 5, 4),
    ItemScale("s2", "staff", 1, 5, 4),
    ItemScale("s3", "staff", 1, 5, 4),
]


def _find(
    rows: list[IndexRow],
    domain: str,
    dimension: str,
    measure: str = "score",
    item: str | None = None,
) -> IndexRow:
    return next(
        r
        for r in rows
        if (r.domain, r.dimension, r.measure, r.item) == (domain, dimension, measure, item)
    )


def _survey(size: int, seed: int) -> tuple[dict[str, np.ndarray], analysis.Design, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = {s.item: rng.integers(1, 6, size).astype(float) for s in ITEMS}
    design = analysis.Design(rng.uniform(5, 20, size), strata=np.repeat(["h1", "h2"], size // 2))
    units = rng.choice(["u1", "u2", "u3"], size)
    return scores, design, units


def test_five_point_item_rescales_to_0_100() -> None:
    np.testing.assert_allclose(rescale([1, 2, 3, 4, 5, np.nan], 1, 5), [0, 25, 50, 75, 100, np.nan])
    np.testing.assert_allclose(rescale([0, 5, 10], 0, 10), [0, 50, 100])


def test_respondent_dimension_score_needs_the_minimum_share() -> None:
    """Staff has 3 items: 2 answered (≥ half) counts, 1 answered does not."""
    scores = {
        "a1": np.array([5.0, 1.0, np.nan]),
        "a2": np.array([3.0, np.nan, np.nan]),
        "s1": np.array([5.0, 4.0, 2.0]),
        "s2": np.array([4.0, np.nan, np.nan]),
        "s3": np.array([np.nan, np.nan, np.nan]),
    }
    means, tops = dimension_scores(scores, ITEMS, min_share=0.5)
    np.testing.assert_allclose(means["access"], [75.0, 0.0, np.nan])
    np.testing.assert_allclose(means["staff"], [87.5, np.nan, np.nan])
    np.testing.assert_allclose(tops["access"], [50.0, 0.0, np.nan])
    np.testing.assert_allclose(tops["staff"], [100.0, np.nan, np.nan])


def test_sub_index_is_the_weighted_mean_with_its_design_se() -> None:
    scores, design, units = _survey(120, 1)
    rows = satisfaction_indices(scores, ITEMS, design, units, IndexSettings(min_n=10))
    means, tops = dimension_scores(scores, ITEMS)
    for unit in ("u1", "u2", "u3"):
        inside = units == unit
        row = _find(rows, unit, "staff")
        expected = analysis.mean(means["staff"], design, domain=inside, missing="exclude")
        assert row.estimate == pytest.approx(expected.estimate, rel=1e-12)
        assert row.se == pytest.approx(expected.se, rel=1e-9)
        assert row.ci_high == pytest.approx(expected.ci_high, rel=1e-9)
        assert row.n == expected.n
        top = _find(rows, unit, "access", "top_two")
        assert top.estimate == pytest.approx(
            analysis.mean(tops["access"], design, domain=inside, missing="exclude").estimate
        )


def test_overall_index_equals_the_mean_of_combined_respondent_scores() -> None:
    """With every dimension answered, Σ a_k S_k/Σ a_k is the mean of Σ a_k y_ik/Σ a_k, and
    the linearised SE is that mean's SE (the combination is linear)."""
    scores, design, units = _survey(150, 2)
    settings = IndexSettings(min_n=10, dimension_weights={"access": 1.0, "staff": 3.0})
    rows = satisfaction_indices(scores, ITEMS, design, units, settings)
    means, _ = dimension_scores(scores, ITEMS)
    combined = (means["access"] + 3 * means["staff"]) / 4
    for unit in ("u1", "u2", "u3"):
        row = _find(rows, unit, OVERALL)
        expected = analysis.mean(combined, design, domain=units == unit)
        assert row.estimate == pytest.approx(expected.estimate, rel=1e-12)
        assert row.se == pytest.approx(expected.se, rel=1e-9)
        dims = [_find(rows, unit, d).estimate for d in ("access", "staff")]
        assert row.estimate == pytest.approx((dims[0] + 3 * dims[1]) / 4)


def test_overall_uses_only_the_dimensions_a_unit_has() -> None:
    scores, design, units = _survey(90, 3)
    scores = {k: v.copy() for k, v in scores.items()}
    for item in ("a1", "a2"):
        scores[item][units == "u2"] = np.nan
    rows = satisfaction_indices(scores, ITEMS, design, units, IndexSettings(min_n=5))
    assert _find(rows, "u2", "access").flags == ("no_data",)
    assert _find(rows, "u2", OVERALL).estimate == pytest.approx(_find(rows, "u2", "staff").estimate)


def test_item_rows_and_alpha() -> None:
    scores, design, units = _survey(200, 4)
    rows = satisfaction_indices(scores, ITEMS, design, units, IndexSettings(min_n=10))
    item = _find(rows, "u1", "staff", item="s2")
    inside = units == "u1"
    assert item.estimate == pytest.approx(
        analysis.mean(rescale(scores["s2"], 1, 5), design, domain=inside).estimate
    )
    table = np.column_stack([rescale(scores[i], 1, 5) for i in ("s1", "s2", "s3")])
    staff = _find(rows, "u1", "staff")
    assert staff.alpha == pytest.approx(
        analysis.cronbach_alpha(table[inside], design.weights[inside])
    )
    assert _find(rows, "u1", OVERALL).alpha is None


def test_small_cells_are_flagged_and_suppressed_when_asked() -> None:
    scores, design, units = _survey(60, 5)
    flagged = satisfaction_indices(scores, ITEMS, design, units, IndexSettings(min_n=30))
    assert all("small_n" in r.flags for r in flagged)
    assert all(r.estimate is not None and not r.suppressed for r in flagged)
    hidden = satisfaction_indices(
        scores, ITEMS, design, units, IndexSettings(min_n=30, suppress=True)
    )
    assert all(
        r.suppressed and r.estimate is None and r.se is None and r.alpha is None for r in hidden
    )
    assert [r.n for r in hidden] == [r.n for r in flagged]


def test_high_coefficient_of_variation_is_flagged() -> None:
    """Scores near zero with spread give se/estimate above max_cv."""
    size = 40
    scores = {s.item: np.where(np.arange(size) % 8 == 0, 5.0, 1.0) for s in ITEMS}
    design = analysis.Design(np.ones(size))
    rows = satisfaction_indices(
        scores, ITEMS, design, np.repeat("u", size), IndexSettings(min_n=10, max_cv=0.3)
    )
    row = _find(rows, "u", "access")
    assert row.se is not None and row.estimate is not None
    assert row.se / row.estimate > 0.3
    assert row.flags == ("high_cv",)


def test_scaling_all_weights_changes_nothing() -> None:
    scores, design, units = _survey(80, 6)
    scaled = analysis.Design(design.weights * 7.5, strata=design.strata)
    first = satisfaction_indices(scores, ITEMS, design, units, IndexSettings(min_n=5))
    second = satisfaction_indices(scores, ITEMS, scaled, units, IndexSettings(min_n=5))
    for a, b in zip(first, second, strict=True):
        assert (a.domain, a.dimension, a.item, a.measure) == (
            b.domain,
            b.dimension,
            b.item,
            b.measure,
        )
        assert a.estimate == pytest.approx(b.estimate)
        assert a.se == pytest.approx(b.se)


def test_single_domain_srs_se_is_s_over_root_n() -> None:
    """Cochran 1977, Theorem 2.2 without fpc: se = s/√n for the only domain."""
    values = np.array([1.0, 2.0, 4.0, 5.0, 5.0, 3.0])
    scores = {"a1": values, "a2": values}
    items = [ItemScale("a1", "access", 1, 5, 4), ItemScale("a2", "access", 1, 5, 4)]
    rows = satisfaction_indices(
        scores, items, analysis.Design(np.ones(6)), np.repeat("u", 6), IndexSettings(min_n=1)
    )
    scaled = (values - 1) / 4 * 100
    row = _find(rows, "u", "access")
    assert row.estimate == pytest.approx(scaled.mean())
    assert row.se == pytest.approx(scaled.std(ddof=1) / math.sqrt(6))
    assert row.deff == pytest.approx(1.0)


def test_bad_settings_and_items_are_refused() -> None:
    with pytest.raises(ValueError, match="min_share"):
        IndexSettings(min_share=0)
    with pytest.raises(ValueError, match="top-two"):
        ItemScale("x", "d", 1, 5, 6)
    with pytest.raises(ValueError, match="no scores given"):
        satisfaction_indices({}, ITEMS, analysis.Design(np.ones(2)), np.array(["u", "u"]))
