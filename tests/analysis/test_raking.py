"""Raking (Deming–Stephan iterative proportional fitting) by hand and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

import analysis

SEX = np.array(["m", "m", "m", "f", "f"])
AGE = np.array(["y", "y", "o", "y", "o"])
START = np.array([0.5, 0.5, 3.0, 2.0, 1.0])
TARGETS = {"sex": {"m": 60.0, "f": 40.0}, "age": {"y": 50.0, "o": 50.0}}


def _rake(**options: int) -> np.ndarray:
    return analysis.rake(START, {"sex": SEX, "age": AGE}, TARGETS, **options)


def test_rake_keeps_the_odds_ratio_and_meets_both_margins() -> None:
    """IPF keeps the cross-product ratio (Bishop, Fienberg & Holland 1975, ch. 3): start
    my = 1, mo = 3, fy = 2, fo = 1, ratio 1/6; with my = a the margins give
    a(a − 10)/((60 − a)(50 − a)) = 1/6, so a = 20: my 20 (two rows of 10), mo 40, fy 30, fo 10.
    """
    assert _rake().tolist() == pytest.approx([10.0, 10.0, 40.0, 30.0, 10.0], rel=1e-7)


def test_rake_says_when_it_does_not_converge() -> None:
    """One pass meets age but leaves sex off."""
    with pytest.raises(ValueError, match="did not converge within max_iter=1"):
        _rake(max_iter=1)


def test_rake_refuses_margins_with_different_grand_totals() -> None:
    """Sex sums to 100, age to 90."""
    targets = {"sex": TARGETS["sex"], "age": {"y": 40.0, "o": 50.0}}
    with pytest.raises(ValueError, match="targets for age total 90 but targets for sex total 100"):
        analysis.rake(START, {"sex": SEX, "age": AGE}, targets)


def test_rake_refuses_a_target_category_without_respondents() -> None:
    """Age "mid" has population 10 but no rows."""
    targets = {"sex": TARGETS["sex"], "age": {"y": 40.0, "o": 50.0, "mid": 10.0}}
    with pytest.raises(ValueError, match="age category mid has a target of 10 but no weighted"):
        analysis.rake(START, {"sex": SEX, "age": AGE}, targets)


def test_rake_refuses_rows_whose_category_has_no_target() -> None:
    """Rows of age "o" would never be adjusted to a margin."""
    targets = {"sex": TARGETS["sex"], "age": {"y": 100.0}}
    with pytest.raises(ValueError, match="age category o have rows but no target total"):
        analysis.rake(START, {"sex": SEX, "age": AGE}, targets)


def test_rake_refuses_margins_and_targets_naming_different_variables() -> None:
    """A margin without targets cannot be raked."""
    with pytest.raises(ValueError, match="must name the same variables"):
        analysis.rake(START, {"sex": SEX}, TARGETS)


def test_rake_refuses_no_margins() -> None:
    """Nothing to rake to."""
    with pytest.raises(ValueError, match="at least one margin"):
        analysis.rake(START, {}, {})


def test_rake_cannot_meet_margins_the_sample_structure_forbids() -> None:
    """Every man is young and every woman old, so young = men: 60 ≠ 50 never converges."""
    with pytest.raises(ValueError, match="did not converge"):
        analysis.rake(
            np.ones(2),
            {"sex": np.array(["m", "f"]), "age": np.array(["y", "o"])},
            TARGETS,
        )


def test_rake_on_one_margin_is_poststratification() -> None:
    """A single margin is met in one pass, as poststratify does."""
    result = analysis.rake(START, {"sex": SEX}, {"sex": TARGETS["sex"]})
    expected = analysis.poststratify(START, SEX, TARGETS["sex"])
    assert result.tolist() == pytest.approx(expected.tolist())
