"""Cronbach's α against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis


def test_identical_items_are_perfectly_consistent() -> None:
    assert analysis.cronbach_alpha([[1, 1], [2, 2], [3, 3]]) == pytest.approx(1.0)


def test_a_hand_worked_alpha() -> None:
    """Items (1, 2, 3) and (2, 1, 3): σ² = 2/3 each, sums (3, 3, 6) with σ² = 2:
    α = 2 · (1 − (4/3)/2) = 2/3."""
    assert analysis.cronbach_alpha([[1, 2], [2, 1], [3, 3]]) == pytest.approx(2 / 3)


def test_a_weighted_alpha() -> None:
    """Weights (1, 1, 2): both items have weighted σ² = 0.6875, the sums σ² = 2.25:
    α = 2 · (1 − 1.375/2.25) = 7/9."""
    alpha = analysis.cronbach_alpha([[1, 2], [2, 1], [3, 3]], weights=[1, 1, 2])
    assert alpha == pytest.approx(7 / 9)


def test_rows_with_a_missing_answer_are_left_out() -> None:
    with_gap = [[1, 2], [2, 1], [3, 3], [5, math.nan]]
    assert analysis.cronbach_alpha(with_gap) == pytest.approx(2 / 3)


def test_scaling_the_weights_changes_nothing() -> None:
    rng = np.random.default_rng(1)
    items = rng.integers(1, 6, size=(50, 4)).astype(float)
    weights = rng.uniform(0.5, 3, size=50)
    base = analysis.cronbach_alpha(items, weights)
    assert analysis.cronbach_alpha(items, weights * 17.5) == pytest.approx(base)


@pytest.mark.parametrize(
    ("items", "weights", "message"),
    [
        ([[1], [2]], None, "at least two items"),
        ([[1, 2]], None, "at least two complete"),
        ([[1, 1], [1, 1]], None, "do not vary"),
        ([[1, 2], [2, 1]], [1, -1], "non-negative"),
    ],
)
def test_refusals(items: list[list[float]], weights: list[float] | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analysis.cronbach_alpha(items, weights)
