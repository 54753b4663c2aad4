"""Invariances of the estimators under rescaling of the weights (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis

rows = st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(0.1, 1e3)), min_size=4, max_size=30)
factors = st.floats(0.01, 100.0)


def _design(weights: np.ndarray, scale: float = 1.0) -> analysis.Design:
    strata = np.arange(weights.size) % 2
    return analysis.Design(weights * scale, strata=strata)


@given(rows, factors)
def test_scaling_weights_leaves_the_mean_and_its_se_unchanged(
    data: list[tuple[float, float]], scale: float
) -> None:
    """ȳ = Σwy/Σw is homogeneous of degree zero in w (Lohr 2022, §9.1)."""
    y, w = (np.array(column) for column in zip(*data, strict=True))
    base = analysis.mean(y, _design(w))
    scaled = analysis.mean(y, _design(w, scale))
    assert scaled.estimate == pytest.approx(base.estimate, rel=1e-9, abs=1e-9)
    assert scaled.se == pytest.approx(base.se, rel=1e-7, abs=1e-9)


@given(rows, factors)
def test_scaling_weights_scales_the_total_and_its_se(
    data: list[tuple[float, float]], scale: float
) -> None:
    """Ŷ = Σwy is linear in w, so both Ŷ and se(Ŷ) scale by the factor."""
    y, w = (np.array(column) for column in zip(*data, strict=True))
    base = analysis.total(y, _design(w))
    scaled = analysis.total(y, _design(w, scale))
    assert scaled.estimate == pytest.approx(scale * base.estimate, rel=1e-9, abs=1e-6)
    assert scaled.se == pytest.approx(scale * base.se, rel=1e-7, abs=1e-6)
