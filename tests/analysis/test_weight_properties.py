"""Weighting steps meet their targets and keep their totals on random inputs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import analysis

Floats = NDArray[np.float64]
weights = st.lists(st.floats(0.1, 10.0), min_size=2, max_size=30).map(np.array)


@st.composite
def feasible_tables(draw: st.DrawFn) -> tuple[Floats, dict[str, NDArray[np.str_]], Floats]:
    """Rows with 2–3 categorical margins, start weights, and population weights on the same rows.

    Targets taken from the population weights' margins are feasible by construction.
    """
    size = draw(st.integers(2, 25))
    row_floats = st.lists(st.floats(0.1, 10.0), min_size=size, max_size=size)
    start, population = np.array(draw(row_floats)), np.array(draw(row_floats))
    margins = {}
    for index in range(draw(st.integers(2, 3))):
        codes = draw(st.lists(st.integers(0, 3), min_size=size, max_size=size))
        margins[f"v{index}"] = np.array([f"c{code}" for code in codes])
    return start, margins, population


def _sums(values: Floats, labels: NDArray[np.str_]) -> dict[str, float]:
    return {str(label): float(values[labels == label].sum()) for label in np.unique(labels)}


@settings(deadline=None)
@given(feasible_tables())
def test_rake_meets_every_margin_to_tol(
    table: tuple[Floats, dict[str, NDArray[np.str_]], Floats],
) -> None:
    """Every margin's category totals within tol · N of the targets."""
    start, margins, population = table
    targets = {name: _sums(population, labels) for name, labels in margins.items()}
    raked = analysis.rake(start, margins, targets, max_iter=5000)
    grand = float(population.sum())
    for name, labels in margins.items():
        for label, target in targets[name].items():
            assert abs(_sums(raked, labels)[label] - target) <= 1.0001e-8 * grand


@given(weights, st.data())
def test_poststratify_meets_every_cell_exactly(start: Floats, data: st.DataObject) -> None:
    """Σ_c w equals N_c in every cell (up to rounding)."""
    codes = data.draw(st.lists(st.sampled_from("abc"), min_size=start.size, max_size=start.size))
    cells = np.array(codes)
    targets = {label: data.draw(st.floats(1.0, 1e6)) for label in np.unique(cells).tolist()}
    result = analysis.poststratify(start, cells, targets)
    assert _sums(result, cells) == pytest.approx(targets, rel=1e-12)


@given(weights, st.data())
def test_nonresponse_adjustment_keeps_class_totals(start: Floats, data: st.DataObject) -> None:
    """Σ_c w before = Σ_c w after, all of it on respondents; the first row of a class answers."""
    size = start.size
    classes = np.array(data.draw(st.lists(st.sampled_from("xyz"), min_size=size, max_size=size)))
    responded = np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    for label in np.unique(classes):
        responded[np.flatnonzero(classes == label)[0]] = True
    result = analysis.adjust_nonresponse(start, classes, responded)
    assert _sums(result, classes) == pytest.approx(_sums(start, classes), rel=1e-12)
    assert not result[~responded].any()


@given(weights, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_trimming_keeps_the_total_and_respects_the_bounds(
    start: Floats, up: float, down: float
) -> None:
    """Bounds chosen on either side of the mean are always feasible."""
    average = float(start.mean())
    upper = average + up * (float(start.max()) - average)
    # min() guards the rounding of the mean when every weight is equal.
    lower = min(upper, average - down * (average - float(start.min())))
    result = analysis.trim_weights(start, upper=upper, lower=lower)
    assert result.sum() == pytest.approx(start.sum(), rel=1e-12)
    assert result.max() <= upper * (1 + 1e-12)
    assert result.min() >= lower * (1 - 1e-12)


@given(weights)
def test_kish_deff_is_at_least_one_and_effective_n_its_inverse_share(start: Floats) -> None:
    """deff ≥ 1 by Cauchy–Schwarz, and n_eff = n/deff."""
    deff = analysis.kish_deff(start)
    assert deff >= 1 - 1e-12
    assert analysis.effective_n(start) == pytest.approx(start.size / deff)
