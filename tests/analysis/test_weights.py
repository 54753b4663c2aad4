"""Base weights, nonresponse adjustment, post-stratification, trimming and Kish's deff by hand."""

from __future__ import annotations

import numpy as np
import pytest

import analysis


def test_design_weights_are_reciprocal_inclusion_probabilities() -> None:
    """d = 1/π: 1/0.5 = 2, 1/0.25 = 4, 1/1 = 1 (a certainty unit weighs 1)."""
    result = analysis.design_weights(np.array([0.5, 0.25, 1.0]))
    assert result.tolist() == pytest.approx([2.0, 4.0, 1.0])


@pytest.mark.parametrize("prob", [[0.5, 0.0], [0.5, 1.5], [0.5, -0.2], [0.5, np.nan]])
def test_design_weights_refuse_probabilities_outside_zero_one(prob: list[float]) -> None:
    """π must lie in (0, 1]."""
    with pytest.raises(ValueError, match=r"must lie in \(0, 1\]; 1 do not"):
        analysis.design_weights(np.array(prob))


def test_design_weights_refuse_an_empty_array() -> None:
    """No rows, no weights."""
    with pytest.raises(ValueError, match="non-empty one-dimensional"):
        analysis.design_weights(np.array([]))


def test_nonresponse_moves_each_class_weight_onto_its_respondents() -> None:
    """Class a: 3/1 = 3 → [3, 0]; class b: (2 + 3 + 5)/(2 + 3) = 2 → [4, 6, 0]."""
    result = analysis.adjust_nonresponse(
        np.array([1.0, 2.0, 2.0, 3.0, 5.0]),
        np.array(["a", "a", "b", "b", "b"]),
        np.array([True, False, True, True, False]),
    )
    assert result.tolist() == pytest.approx([3.0, 0.0, 4.0, 6.0, 0.0])


def test_nonresponse_accepts_zero_one_flags() -> None:
    """1/0 flags mean responded/not: 2 + 2 over one respondent."""
    result = analysis.adjust_nonresponse(np.array([2.0, 2.0]), np.array([7, 7]), np.array([1, 0]))
    assert result.tolist() == pytest.approx([4.0, 0.0])


def test_nonresponse_refuses_a_class_without_respondents() -> None:
    """Class b has weight but no one to carry it."""
    with pytest.raises(ValueError, match="class b has no respondents"):
        analysis.adjust_nonresponse(
            np.ones(3), np.array(["a", "a", "b"]), np.array([True, False, False])
        )


def test_nonresponse_refuses_flags_that_are_not_boolean() -> None:
    """Strings such as "no" would otherwise all read as True."""
    with pytest.raises(ValueError, match="responded must be booleans"):
        analysis.adjust_nonresponse(np.ones(2), np.array(["a", "a"]), np.array(["yes", "no"]))


def test_nonresponse_refuses_flags_of_the_wrong_length() -> None:
    """One flag per row."""
    with pytest.raises(ValueError, match="responded has 1 values but weights has 2"):
        analysis.adjust_nonresponse(np.ones(2), np.array(["a", "a"]), np.array([True]))


def test_nonresponse_refuses_missing_class_labels() -> None:
    """Every row needs a class."""
    with pytest.raises(ValueError, match="classes contains missing values"):
        analysis.adjust_nonresponse(np.ones(2), np.array(["a", None]), np.array([True, True]))


def test_poststratify_scales_each_cell_to_its_total() -> None:
    """Cell m: 10/(1 + 1) = 5 each; cell f: 6/2 = 3 → 6."""
    result = analysis.poststratify(
        np.array([1.0, 1.0, 2.0]), np.array(["m", "m", "f"]), {"m": 10.0, "f": 6.0}
    )
    assert result.tolist() == pytest.approx([5.0, 5.0, 6.0])


def test_poststratify_compares_labels_as_text() -> None:
    """Integer cells 1, 2 match the targets "1", "2"."""
    result = analysis.poststratify(np.ones(3), np.array([1, 1, 2]), {"1": 4.0, "2": 1.0})
    assert result.tolist() == pytest.approx([2.0, 2.0, 1.0])


def test_poststratify_refuses_a_target_cell_without_rows() -> None:
    """Cell x has population 5 but no sample."""
    with pytest.raises(ValueError, match="cells x has a target of 5 but no weighted rows"):
        analysis.poststratify(np.ones(2), np.array(["m", "f"]), {"m": 1.0, "f": 1.0, "x": 5.0})


def test_poststratify_allows_an_empty_cell_with_a_zero_target() -> None:
    """A zero target with no rows asks for nothing."""
    result = analysis.poststratify(np.ones(2), np.array(["m", "f"]), {"m": 1, "f": 3, "x": 0})
    assert result.tolist() == pytest.approx([1.0, 3.0])


def test_poststratify_refuses_rows_in_a_cell_without_target() -> None:
    """Rows in cell f would keep unscaled weights."""
    with pytest.raises(ValueError, match="cells f have rows but no target total"):
        analysis.poststratify(np.ones(2), np.array(["m", "f"]), {"m": 1.0})


def test_poststratify_refuses_negative_targets() -> None:
    """Population totals cannot be negative."""
    with pytest.raises(ValueError, match="targets must be finite and non-negative; f are not"):
        analysis.poststratify(np.ones(2), np.array(["m", "f"]), {"m": 1.0, "f": -1.0})


@pytest.mark.parametrize("weights", [[1.0, -1.0], [1.0, np.inf], [0.0, 0.0]])
def test_weight_functions_refuse_bad_weights(weights: list[float]) -> None:
    """Weights must be non-negative, finite and not all zero."""
    with pytest.raises(ValueError, match="weights"):
        analysis.kish_deff(np.array(weights))


def test_trim_caps_and_spreads_the_excess_in_proportion() -> None:
    """10 → 5; the excess 5 over 1 + 1 + 2 = 4 multiplies them by 9/4: [5, 2.25, 2.25, 4.5]."""
    result = analysis.trim_weights(np.array([10.0, 1.0, 1.0, 2.0]), upper=5.0)
    assert result.tolist() == pytest.approx([5.0, 2.25, 2.25, 4.5])


def test_trim_repeats_when_the_spread_pushes_a_row_over() -> None:
    """Pass 1: 10 → 6, ×5/3 gives 6.67; pass 2: → 6, 2/3 over 10/3 gives ×1.2; so c = 2 overall."""
    result = analysis.trim_weights(np.array([10.0, 1.0, 1.0, 4.0]), upper=6.0)
    assert result.tolist() == pytest.approx([6.0, 2.0, 2.0, 6.0])


def test_trim_raises_small_weights_to_the_lower_bound() -> None:
    """0.5 → 1; the other rows give up 0.5 of their 10, ×0.95: [1, 1.9, 2.85, 4.75]."""
    result = analysis.trim_weights(np.array([0.5, 2.0, 3.0, 5.0]), lower=1.0)
    assert result.tolist() == pytest.approx([1.0, 1.9, 2.85, 4.75])


def test_trim_without_rows_outside_returns_the_weights() -> None:
    """Nothing to trim."""
    result = analysis.trim_weights(np.array([1.0, 2.0]), upper=5.0, lower=0.5)
    assert result.tolist() == [1.0, 2.0]


def test_trim_refuses_bounds_that_cannot_hold_the_total() -> None:
    """Total 12 over 3 rows cannot stay under 3 each."""
    with pytest.raises(ValueError, match="total 12 cannot be kept"):
        analysis.trim_weights(np.array([10.0, 1.0, 1.0]), upper=3.0)


def test_trim_refuses_lower_above_upper() -> None:
    """An empty interval."""
    with pytest.raises(ValueError, match="lower <= upper"):
        analysis.trim_weights(np.ones(3), upper=1.0, lower=2.0)


def test_trim_keeps_the_total_when_rows_fall_outside_both_bounds() -> None:
    """[1, 2] in [1.25, 1.5] keeping 3: only c = 1.5 works, clip(1.5, 3) = [1.5, 1.5]."""
    result = analysis.trim_weights(np.array([1.0, 2.0]), upper=1.5, lower=1.25)
    assert result.tolist() == pytest.approx([1.5, 1.5])


def test_trim_leaves_zero_weights_of_nonrespondents_at_zero() -> None:
    """Only positive rows are trimmed: as the lower-bound example, with a zero row kept at 0."""
    result = analysis.trim_weights(np.array([0.0, 0.5, 2.0, 3.0, 5.0]), lower=1.0)
    assert result.tolist() == pytest.approx([0.0, 1.0, 1.9, 2.85, 4.75])


def test_trim_counts_only_positive_rows_when_checking_the_bounds() -> None:
    """[0, 10] under 6: one positive row cannot hold 10."""
    with pytest.raises(ValueError, match="total 10 cannot be kept with every one of the 1"):
        analysis.trim_weights(np.array([0.0, 10.0]), upper=6.0)


def test_kish_deff_of_equal_weights_is_one() -> None:
    """n·n·w²/(n·w)² = 1."""
    assert analysis.kish_deff(np.full(7, 3.5)) == pytest.approx(1.0)
    assert analysis.effective_n(np.full(7, 3.5)) == pytest.approx(7.0)


def test_kish_deff_of_two_valued_weights_matches_hand_value() -> None:
    """[1, 1, 3, 3]: Σw = 8, Σw² = 20, deff = 4·20/64 = 1.25, n_eff = 64/20 = 3.2."""
    weights = np.array([1.0, 1.0, 3.0, 3.0])
    assert analysis.kish_deff(weights) == pytest.approx(1.25)
    assert analysis.effective_n(weights) == pytest.approx(3.2)
